import type { EventStore, RecordedEvent } from '../../../src/store/event-store.js';

/**
 * Everything appended to the given stream prefixes while a test runs, from a live subscription:
 * lease streams keep only their newest events, so the test keeps the whole history itself.
 */
export class History {
  readonly events: RecordedEvent[] = [];
  private readonly controller = new AbortController();
  private readonly following: Promise<void>;

  constructor(
    private readonly store: EventStore,
    private readonly prefixes: readonly string[],
  ) {
    this.following = (async () => {
      for await (const event of store.subscribeAll({
        filter: { streamPrefixes: prefixes },
        signal: this.controller.signal,
      })) {
        this.events.push(event);
      }
    })();
  }

  /** Stops following and reads whatever the subscription had not delivered yet. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.following;
    const after = this.events[this.events.length - 1]?.position ?? 0n;
    for await (const event of this.store.readAll({ after, filter: { streamPrefixes: this.prefixes } })) {
      this.events.push(event);
    }
  }

  of(stream: string): RecordedEvent[] {
    return this.events.filter((e) => e.streamId === stream);
  }
}
