import type { LocationLog } from '../../adapters/adapter.js';
import type { EventData } from '../../domain/events/index.js';
import { unfinishedClaims, type LocationClaim } from '../../domain/location/unfinished-claims.js';
import type { EventStore } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { FencedStream } from '../lease/index.js';
import { readBackUntil } from '../read-back.js';

type LocationEventType =
  | 'FileClaimed'
  | 'FileCompleted'
  | 'MailClaimed'
  | 'MailCompleted'
  | 'QueueMessageClaimed'
  | 'QueueMessageCompleted'
  | 'ClaimsCheckpointed';

/**
 * A holder that read more than this since the latest checkpoint writes a new one: a location that
 * ran for months is taken over by reading about this many events, not its whole history.
 */
export const CHECKPOINT_AFTER = 1_000;

/**
 * The fenced `location-{name}` stream of a single-active receive location, for the term this
 * instance holds its lease: claims written here are refused once a newer holder raised its fence.
 */
export class FencedLocationLog implements LocationLog {
  constructor(
    private readonly store: EventStore,
    private readonly fenced: FencedStream,
    private readonly actor: string,
  ) {}

  get term(): number {
    return this.fenced.term;
  }

  async unfinished(): Promise<LocationClaim[]> {
    // From the latest checkpoint (or the start) to the head.
    const history = await readBackUntil(this.store, this.fenced.stream, (e) => e.type === 'ClaimsCheckpointed');
    const open = unfinishedClaims(history);
    if (history.length > CHECKPOINT_AFTER) {
      // Written under this term's fence, so no other holder's claim can fall between the read and it.
      await this.record('ClaimsCheckpointed', {
        open: open.map(({ type, data }) => ({ type, data }) as LocationClaim),
      });
    }
    return open;
  }

  async record<T extends LocationEventType>(type: T, data: EventData<T>): Promise<void> {
    await this.fenced.append([makeEvent(type, data, { actor: this.actor })]);
  }
}
