import { streams } from '../../domain/streams.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { FencedStream } from '../lease/index.js';

export interface BacklogEntry {
  readonly sequence: number;
  readonly messageId: string;
}

/**
 * The ordered backlog of one send port, `port-{name}`: every message routed to the port, in the
 * global order of the events that routed it. Only the port's lease holder appends to it (fenced),
 * so a sequence number is never given twice, whatever fails over.
 */
export class OrderedBacklog {
  private readonly entries: BacklogEntry[] = [];
  private readonly enqueued = new Set<string>();
  private routedAfter = 0n;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly port: string,
    private readonly fenced: FencedStream,
    private readonly actor: string,
  ) {}

  /** Loads what earlier holders enqueued. */
  static async load(store: EventStore, port: string, fenced: FencedStream, actor: string): Promise<OrderedBacklog> {
    const backlog = new OrderedBacklog(port, fenced, actor);
    for (const event of await store.readStream(streams.port(port))) {
      if (event.type !== 'MessageEnqueued') continue;
      backlog.entries.push({ sequence: event.data.sequence, messageId: event.data.messageId });
      backlog.enqueued.add(event.data.messageId);
      backlog.routedAfter = BigInt(event.data.routedAt);
    }
    return backlog;
  }

  /** The position after which routing events have not been looked at yet. */
  get checkpoint(): bigint {
    return this.routedAfter;
  }

  at(sequence: number): BacklogEntry | undefined {
    return this.entries[sequence];
  }

  get length(): number {
    return this.entries.length;
  }

  /** Enqueues the message if the event routes it here and it is not in the backlog yet. */
  async offer(event: RecordedEvent): Promise<void> {
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
    const sequence = this.entries.length;
    await this.fenced.append([
      makeEvent(
        'MessageEnqueued',
        { port: this.port, messageId, sequence, routedAt: event.position.toString() },
        { actor: this.actor, correlationId: messageId },
      ),
    ]);
    this.entries.push({ sequence, messageId });
    this.enqueued.add(messageId);
    this.routedAfter = event.position;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once the backlog holds more than `length` entries, or the signal aborts. */
  waitForMore(length: number, signal: AbortSignal): Promise<void> {
    if (this.entries.length > length || signal.aborted) return Promise.resolve();
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
