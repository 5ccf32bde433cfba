import type { LocationLog } from '../../adapters/adapter.js';
import type { EventData, SignalboxEvent } from '../../domain/events/index.js';
import { unfinishedClaims, type LocationClaim } from '../../domain/location/unfinished-claims.js';
import type { EventStore } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { FencedStream } from '../lease/index.js';

type LocationEventType =
  | 'FileClaimed'
  | 'FileCompleted'
  | 'MailClaimed'
  | 'MailCompleted'
  | 'QueueMessageClaimed'
  | 'QueueMessageCompleted'
  | 'ClaimsCheckpointed';

/** Events read back per page, looking for the latest checkpoint: it is usually near the head. */
const FIRST_PAGE = 32;
const LARGEST_PAGE = 1_024;
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
    const history = await this.sinceCheckpoint();
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

  /** The stream from its latest checkpoint (or its start) to its head, oldest first. */
  private async sinceCheckpoint(): Promise<SignalboxEvent[]> {
    const pages: SignalboxEvent[][] = [];
    let from: bigint | undefined;
    for (let size = FIRST_PAGE; ; size = Math.min(size * 4, LARGEST_PAGE)) {
      const page = await this.store.readStream(this.fenced.stream, {
        direction: 'backwards',
        maxCount: size,
        ...(from === undefined ? {} : { fromRevision: from }),
      });
      const checkpoint = page.findIndex((event) => event.type === 'ClaimsCheckpointed');
      pages.push(checkpoint >= 0 ? page.slice(0, checkpoint + 1) : page);
      const oldest = page.at(-1);
      if (checkpoint >= 0 || page.length < size || !oldest || oldest.revision === 0n) break;
      from = oldest.revision - 1n;
    }
    return pages.flat().reverse();
  }
}
