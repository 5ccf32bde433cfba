import type { NewEvent } from '../../domain/events/index.js';
import type { AppendResult, EventStore, ExpectedRevision } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import { makeEvent } from '../../store/make-event.js';
import { Deposed, FenceContended, type LeaseLossReason } from './errors.js';

/** What a fenced stream needs from the lease it writes under. */
export interface FenceAuthority {
  readonly resource: string;
  readonly holder: string;
  readonly term: number;
  /** Throws `Deposed` unless the lease is held and its deadline has not passed, on the monotonic clock. */
  assertCanWrite(stream: string): void;
  /** A fenced write showed that a newer holder exists. */
  lose(reason: LeaseLossReason, cause?: unknown): void;
  /** Fenced writes in flight: a release waits for them, so none lands after it. */
  track(write: Promise<unknown>): void;
}

/** How often raising a fence may lose the race to a write of no newer term before giving up. */
const RAISE_ATTEMPTS = 20;

/**
 * A stream written only by the holder of one lease (`location-{name}`, `port-{name}`). Every
 * append expects the revision this holder last wrote and carries `metadata.fence` = {lease,
 * term}: when a newer holder has raised its fence since, the store refuses the append, the lease
 * is marked lost (the handler's signal aborts) and the caller gets `Deposed`.
 *
 * Get one from the lease (`ctx.fence(stream)` in a singleton handler); its first action was to
 * append `FenceRaised`, which moves the stream past the previous holder's last write.
 */
export class FencedStream {
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();
  /** Events of an append whose outcome is unknown (the store failed mid-call): maybe written. */
  private uncertain: readonly NewEvent[] | undefined;

  private constructor(
    private readonly lease: FenceAuthority,
    private readonly store: EventStore,
    readonly stream: string,
    private lastWritten: bigint,
  ) {}

  /** The revision this holder last wrote to the stream. */
  get revision(): bigint {
    return this.lastWritten;
  }

  get term(): number {
    return this.lease.term;
  }

  /**
   * Appends `events` with `metadata.fence` set. Appends on one fenced stream run one after the
   * other in call order. Throws `Deposed` when the lease is no longer held.
   */
  append(events: readonly NewEvent[]): Promise<AppendResult> {
    const fence = { lease: this.lease.resource, term: this.lease.term };
    const stamped = events.map((event) => ({ ...event, metadata: { ...event.metadata, fence } }));
    // With nothing queued the write starts synchronously: the deadline check and the hand-over to
    // the store happen in one turn of the event loop, with no await between them.
    const write = this.pending === 0 ? this.write(stamped) : this.tail.then(() => this.write(stamped));
    this.pending++;
    this.tail = write.then(
      () => this.pending--,
      () => this.pending--,
    );
    return write;
  }

  private async write(events: readonly NewEvent[]): Promise<AppendResult> {
    if (this.uncertain) await this.settleUncertain();
    this.lease.assertCanWrite(this.stream);
    const appending = this.store.append(this.stream, events, this.lastWritten);
    this.lease.track(appending);
    try {
      const result = await appending;
      this.lastWritten = result.nextExpectedRevision;
      return result;
    } catch (error) {
      if (error instanceof WrongExpectedRevision) {
        this.lease.lose('fenced', error);
        throw new Deposed(this.lease.resource, this.lease.term, this.stream, 'fenced', { cause: error });
      }
      this.uncertain = events;
      throw error;
    }
  }

  /**
   * After a failed call the events may or may not be in the stream. If they are, right after the
   * revision last written, they are ours; anything else there is a newer holder's.
   */
  private async settleUncertain(): Promise<void> {
    const events = this.uncertain!;
    const after = await this.store.readStream(this.stream, { fromRevision: this.lastWritten + 1n });
    if (after.length === 0) {
      this.uncertain = undefined;
      return;
    }
    if (after.length === events.length && after.every((e, i) => e.id === events[i]!.id)) {
      this.lastWritten = after[after.length - 1]!.revision;
      this.uncertain = undefined;
      return;
    }
    this.lease.lose('fenced');
    throw new Deposed(this.lease.resource, this.lease.term, this.stream, 'fenced');
  }

  /**
   * Appends `FenceRaised` for the lease's term at the stream's current head. Refuses (and marks the
   * lease lost) when the head already carries a newer term of the same lease; a concurrent write
   * of an older term (a predecessor's last write landing late) just means reading and trying again.
   */
  static async raise(lease: FenceAuthority, store: EventStore, stream: string): Promise<FencedStream> {
    for (let attempt = 0; attempt < RAISE_ATTEMPTS; attempt++) {
      lease.assertCanWrite(stream);
      const [head] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const fence = head?.metadata.fence;
      if (fence && fence.lease === lease.resource && fence.term > lease.term) {
        lease.lose('fenced');
        throw new Deposed(lease.resource, lease.term, stream, 'fenced');
      }
      const expected: ExpectedRevision = head?.revision ?? (await store.streamRevision(stream)) ?? 'no_stream';
      lease.assertCanWrite(stream);
      const raised = makeEvent(
        'FenceRaised',
        { resource: lease.resource, holder: lease.holder, term: lease.term },
        { actor: lease.holder, fence: { lease: lease.resource, term: lease.term } },
      );
      const appending = store.append(stream, [raised], expected);
      lease.track(appending);
      try {
        const result = await appending;
        return new FencedStream(lease, store, stream, result.nextExpectedRevision);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
      }
    }
    throw new FenceContended(
      `could not raise the fence of lease ${lease.resource} term ${lease.term} on ${stream} in ${RAISE_ATTEMPTS} attempts`,
    );
  }
}
