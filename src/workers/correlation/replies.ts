import type { ReceiveHandler, ReplyListener, ReplyMessage, ReplySource } from '../../adapters/adapter.js';
import { streams } from '../../domain/streams.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { Logger } from '../logger.js';
import { openBody } from '../message-body.js';

/** How long a reply that came before anyone waited for it is remembered (a request answered at once). */
const REMEMBER_MS = 60_000;

/**
 * Replies for request-response receivers: one subscription per host instance to
 * `CorrelationFollowed` events (whoever recorded them: this instance or another one on the same
 * store), started from the head when the first listener opens and stopped when the last closes.
 * A reply recorded between a request's receipt and its `wait` is remembered for a minute.
 */
export class ReplyFollower implements ReplySource {
  private users = 0;
  private running: { controller: AbortController; ready: Promise<void> } | undefined;
  private readonly waiters = new Map<string, Set<(replyId: string) => void>>();
  private readonly recent = new Map<string, { replyId: string; at: number }>();

  constructor(
    private readonly store: EventStore,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  async open(): Promise<ReplyListener> {
    this.users++;
    this.running ??= this.start();
    try {
      await this.running.ready;
    } catch (error) {
      this.release();
      throw error;
    }
    let closed = false;
    return {
      wait: (requestMessageId, options) => this.wait(requestMessageId, options),
      close: () => {
        if (closed) return;
        closed = true;
        this.release();
      },
    };
  }

  private release(): void {
    if (--this.users > 0) return;
    this.running?.controller.abort();
    this.running = undefined;
    this.recent.clear();
  }

  private start(): { controller: AbortController; ready: Promise<void> } {
    const controller = new AbortController();
    const ready = this.store.headPosition();
    void ready.then(
      (head) => this.follow(head, controller.signal),
      () => undefined,
    );
    return { controller, ready: ready.then(() => undefined) };
  }

  /** Follows the store until stopped; an outage is logged and the subscription made again where it was. */
  private async follow(after: bigint, signal: AbortSignal): Promise<void> {
    let position = after;
    while (!signal.aborted) {
      try {
        for await (const event of this.store.subscribeAll({
          after: position,
          filter: { streamPrefixes: ['correlation-'], eventTypes: ['CorrelationFollowed'] },
          signal,
        })) {
          position = event.position;
          if (event.type === 'CorrelationFollowed') this.arrived(event.data.requestMessageId, event.data.messageId);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn({ err: error }, 'reply subscription failed; following again in 1 s');
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  }

  private arrived(requestId: string, replyId: string): void {
    const waiting = this.waiters.get(requestId);
    if (waiting) {
      for (const resolve of waiting) resolve(replyId);
      return;
    }
    const now = Date.now();
    if (!this.recent.has(requestId)) this.recent.set(requestId, { replyId, at: now });
    // Oldest first (insertion order): drop what nobody asked for in time.
    for (const [key, entry] of this.recent) {
      if (now - entry.at < REMEMBER_MS) break;
      this.recent.delete(key);
    }
  }

  private async wait(
    requestId: string,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<ReplyMessage | undefined> {
    const known = this.recent.get(requestId);
    const replyId =
      known?.replyId ??
      (await new Promise<string | undefined>((resolve) => {
        const set = this.waiters.get(requestId) ?? new Set();
        this.waiters.set(requestId, set);
        const done = (value: string | undefined) => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', aborted);
          set.delete(done);
          if (set.size === 0) this.waiters.delete(requestId);
          resolve(value);
        };
        const aborted = () => done(undefined);
        const timer = setTimeout(() => done(undefined), options.timeoutMs);
        options.signal.addEventListener('abort', aborted, { once: true });
        set.add(done);
        if (options.signal.aborted) done(undefined);
      }));
    if (replyId === undefined) return undefined;
    const [first] = await this.store.readStream(streams.message(replyId), { maxCount: 1 });
    if (first?.type !== 'MessageReceived') return undefined;
    const { body, contentType, context } = first.data;
    return {
      messageId: replyId,
      ...(contentType === undefined ? {} : { contentType }),
      context,
      openBody: () => openBody(body, this.blobs),
    };
  }
}

/** The handler as the engine runs it: with `replies` in its context. */
export function withReplies(handler: ReceiveHandler, replies: ReplySource): ReceiveHandler {
  return { run: (context) => handler.run({ ...context, replies }) };
}
