import type { NewEvent } from '../../domain/events/index.js';
import { foldLease, type LeaseEvent, type LeaseState } from '../../domain/lease/index.js';
import { streams } from '../../domain/streams.js';
import type { EventStore, ExpectedRevision } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';

export interface LeaseSnapshot {
  readonly state: LeaseState;
  /** The revision `state` was folded at: the expected revision of the next lease append. */
  readonly revision: bigint | undefined;
  /** False when the stream has a revision but no lease events left to fold (truncated away). */
  readonly known: boolean;
}

/** `lease-{resource}` through the EventStore port: reading folds it, writing appends decided events. */
export class LeaseStream {
  readonly name: string;

  constructor(
    private readonly store: EventStore,
    readonly resource: string,
    private readonly actor: string,
  ) {
    this.name = streams.lease(resource);
  }

  revision(): Promise<bigint | undefined> {
    return this.store.streamRevision(this.name);
  }

  async read(): Promise<LeaseSnapshot> {
    const events = await this.store.readStream(this.name);
    const last = events[events.length - 1];
    if (last) return { state: foldLease(events), revision: last.revision, known: true };
    const revision = await this.store.streamRevision(this.name);
    return { state: foldLease([]), revision, known: revision === undefined };
  }

  /** Turns decided events into events to append; keep them to retry the same append idempotently. */
  toNew(events: readonly LeaseEvent[]): NewEvent[] {
    return events.map((event) => makeEvent<LeaseEvent['type']>(event.type, event.data, { actor: this.actor }));
  }

  /** Appends expecting `expected`; returns the revision of the last event written. */
  async append(events: readonly NewEvent[], expected: ExpectedRevision): Promise<bigint> {
    return (await this.store.append(this.name, events, expected)).nextExpectedRevision;
  }

  limitLength(keepEvents: number): Promise<void> {
    return this.store.setStreamMetadata(this.name, { maxCount: keepEvents });
  }
}
