import { streams } from '../../domain/streams.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { FencedStream } from '../lease/index.js';
import { readBackUntil } from '../read-back.js';

export interface BacklogEntry {
  readonly sequence: number;
  readonly messageId: string;
}

/**
 * Once the sender has moved this many entries past the latest checkpoint, it writes a new one
 * (and forgets the entries before it): a new holder reads the stream back to it, not from the start.
 */
export const CHECKPOINT_EVERY = 1_000;

/**
 * The ordered backlog of one send port, `port-{name}`: every message routed to the port, in the
 * global order of the events that routed it. Only the port's lease holder appends to it (fenced),
 * so a sequence number is never given twice, whatever fails over.
 */
export class OrderedBacklog {
  /** Entries from sequence `base` on; those before it the sender has moved past. */
  private entries: BacklogEntry[] = [];
  private base = 0;
  private readonly enqueued = new Set<string>();
  private routedAfter = 0n;
  private waiters: (() => void)[] = [];
  /** Sends of this port resumed by an operator and not yet sent again, with their event's position. */
  private resumed: { entry: BacklogEntry; position: bigint }[] = [];

  private constructor(
    private readonly port: string,
    private readonly fenced: FencedStream,
    private readonly actor: string,
    private readonly checkpointEvery: number,
  ) {}

  /**
   * Loads what earlier holders enqueued and had not moved past: the stream back to its latest
   * `BacklogCheckpointed`, and on to the first entry that checkpoint had not passed (the entries
   * enqueued while it was written come before it in the stream).
   */
  static async load(
    store: EventStore,
    port: string,
    fenced: FencedStream,
    actor: string,
    checkpointEvery = CHECKPOINT_EVERY,
  ): Promise<OrderedBacklog> {
    const backlog = new OrderedBacklog(port, fenced, actor, checkpointEvery);
    let passed: number | undefined;
    const read = await readBackUntil(store, streams.port(port), (event) => {
      if (event.type === 'BacklogCheckpointed' && passed === undefined) {
        passed = event.data.nextSequence;
        backlog.routedAfter = BigInt(event.data.routedAt);
        return passed === 0;
      }
      return passed !== undefined && event.type === 'MessageEnqueued' && event.data.sequence < passed;
    });
    backlog.base = passed ?? 0;
    for (const event of read) {
      if (event.type !== 'MessageEnqueued' || event.data.sequence < backlog.base) continue;
      backlog.entries.push({ sequence: event.data.sequence, messageId: event.data.messageId });
      backlog.enqueued.add(event.data.messageId);
      const routedAt = BigInt(event.data.routedAt);
      if (routedAt > backlog.routedAfter) backlog.routedAfter = routedAt;
    }
    return backlog;
  }

  /** The position after which routing events have not been looked at yet. */
  get checkpoint(): bigint {
    return this.routedAfter;
  }

  /** The first sequence the sender has not moved past. */
  get start(): number {
    return this.base;
  }

  at(sequence: number): BacklogEntry | undefined {
    return this.entries[sequence - this.base];
  }

  get length(): number {
    return this.base + this.entries.length;
  }

  /** Where the message is in the backlog, if it is there and not yet moved past. */
  sequenceOf(messageId: string): number | undefined {
    return this.enqueued.has(messageId) ? this.entries.find((e) => e.messageId === messageId)?.sequence : undefined;
  }

  /**
   * The sender moved past every entry before `next`. Past `checkpointEvery` of them since the
   * latest checkpoint, records a new one (fenced) and forgets the entries before it.
   */
  async movedTo(next: number): Promise<void> {
    if (next - this.base < this.checkpointEvery) return;
    await this.fenced.append([
      makeEvent(
        'BacklogCheckpointed',
        { port: this.port, nextSequence: next, routedAt: this.persistable(this.routedAfter).toString() },
        { actor: this.actor },
      ),
    ]);
    for (const entry of this.entries.splice(0, next - this.base)) this.enqueued.delete(entry.messageId);
    this.base = next;
  }

  /**
   * The sends of this port an operator resumed that the sender had already moved past (order with
   * suspend goes on past a suspended message): they are sent out of sequence, as resumed. Those it
   * has not reached yet it sends in their turn.
   */
  resumedBehind(next: number): BacklogEntry[] {
    this.resumed = this.resumed.filter(({ entry }) => entry.sequence < next);
    return this.resumed.map(({ entry }) => entry);
  }

  /** A resumed send was sent (or suspended again). */
  resumedDone(entry: BacklogEntry): void {
    this.resumed = this.resumed.filter((r) => r.entry !== entry);
  }

  /**
   * A position to record as looked at: never at or past a resume not yet sent again, so that a new
   * holder after a crash sees that resume again (seeing an event twice does no harm: an entry is
   * enqueued once, and a send already made is not made again).
   */
  private persistable(position: bigint): bigint {
    let floor = position;
    for (const { position: at } of this.resumed) if (at - 1n < floor) floor = at - 1n;
    return floor;
  }

  /**
   * Enqueues the message if the event routes it here and it is not in the backlog yet; notes a
   * send of this port resumed by an operator.
   */
  async offer(event: RecordedEvent): Promise<void> {
    if (event.type === 'MessageResumed' && event.data.port === this.port) {
      // An entry the sender forgot (before `base`) was moved past: -1 stands for "before".
      const sequence = this.sequenceOf(event.data.messageId) ?? -1;
      this.resumed.push({ entry: { messageId: event.data.messageId, sequence }, position: event.position });
      this.routedAfter = event.position;
      this.wake();
      return;
    }
    const ports =
      event.type === 'MessageReceived'
        ? event.data.routing.sendPorts
        : event.type === 'MessageResumed'
          ? (event.data.routing?.sendPorts ?? [])
          : [];
    const messageId = (event.data as { messageId: string }).messageId;
    if (!ports.includes(this.port) || this.enqueued.has(messageId)) {
      this.routedAfter = event.position;
      return;
    }
    const sequence = this.length;
    await this.fenced.append([
      makeEvent(
        'MessageEnqueued',
        { port: this.port, messageId, sequence, routedAt: this.persistable(event.position).toString() },
        { actor: this.actor, correlationId: messageId },
      ),
    ]);
    this.entries.push({ sequence, messageId });
    this.enqueued.add(messageId);
    this.routedAfter = event.position;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once the backlog holds more than `length` entries, a send was resumed, or the signal aborts. */
  waitForMore(length: number, signal: AbortSignal): Promise<void> {
    if (this.length > length || this.resumed.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
