import { v5 } from 'uuid';
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

/** Names the log copies of lease events: a copy's id follows from its original's. */
const LOG_NAMESPACE = '5f0c2a53-8f0e-4f44-9d8e-2f3b6c1e7a10';
const changesOfHands = new Set(['LeaseAcquired', 'LeaseTakenOver', 'LeaseReleased']);

/** `lease-{resource}` through the EventStore port: reading folds it, writing appends decided events. */
export class LeaseStream {
  readonly name: string;
  private readonly logName: string;
  /** Changes of hands not yet copied to the log (its append failed); retried with the next append. */
  private unlogged: NewEvent[] = [];

  constructor(
    private readonly store: EventStore,
    readonly resource: string,
    private readonly actor: string,
  ) {
    this.name = streams.lease(resource);
    this.logName = streams.leaselog(resource);
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

  /**
   * Appends expecting `expected`; returns the revision of the last event written. Acquisitions,
   * takeovers and releases are then copied to `leaselog-{resource}`, which is never trimmed: that
   * is the failover history. A holder that dies between the two appends leaves its change out of
   * the log (the next change's term and previous holder show the gap); a failed copy is retried
   * with the next append.
   */
  async append(events: readonly NewEvent[], expected: ExpectedRevision): Promise<bigint> {
    const revision = (await this.store.append(this.name, events, expected)).nextExpectedRevision;
    const changes = events.filter((e) => changesOfHands.has(e.type));
    if (changes.length > 0 || this.unlogged.length > 0) await this.copyToLog(changes);
    return revision;
  }

  private async copyToLog(changes: readonly NewEvent[]): Promise<void> {
    const copies = [...this.unlogged, ...changes.map((e) => ({ ...e, id: v5(e.id, LOG_NAMESPACE) }))];
    try {
      await this.store.append(this.logName, copies, 'any');
      this.unlogged = [];
    } catch {
      // The lease itself is written; its history entry waits for the next append.
      this.unlogged = copies;
    }
  }

  limitLength(keepEvents: number): Promise<void> {
    return this.store.setStreamMetadata(this.name, { maxCount: keepEvents });
  }
}
