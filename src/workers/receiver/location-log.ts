import type { LocationLog } from '../../adapters/adapter.js';
import type { EventData } from '../../domain/events/index.js';
import { unfinishedClaims, type LocationClaim } from '../../domain/location/unfinished-claims.js';
import type { EventStore } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { FencedStream } from '../lease/index.js';

type LocationEventType =
  'FileClaimed' | 'FileCompleted' | 'MailClaimed' | 'MailCompleted' | 'QueueMessageClaimed' | 'QueueMessageCompleted';

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
    return unfinishedClaims(await this.store.readStream(this.fenced.stream));
  }

  async record<T extends LocationEventType>(type: T, data: EventData<T>): Promise<void> {
    await this.fenced.append([makeEvent(type, data, { actor: this.actor })]);
  }
}
