import { validateNewEvent, type NewEvent } from '../../src/domain/events/index.js';
import { matchesFilter } from '../../src/store/event-filter.js';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeOptions,
} from '../../src/store/event-store.js';
import { StoreClosed, WrongExpectedRevision } from '../../src/store/errors.js';
import { eventHash, GENESIS_HASH } from '../../src/store/event-hash.js';

interface StreamRecord {
  events: RecordedEvent[];
  /** Kept when truncation removed every event: revisions go on. */
  lastRevision: number;
  /** The hash of the event at `lastRevision`, kept for the same reason: the chain goes on. */
  lastHash: string;
  metadata: StreamMetadata;
}

/**
 * The shared contents behind any number of `MemoryEventStore` clients, like one SQLite file behind
 * several connections. It passes the EventStore contract suite (`test/contract/memory.contract.spec.ts`),
 * so unit tests of workers that run on it with a manual clock see the port's real behaviour.
 */
export class MemoryBackend {
  readonly streams = new Map<string, StreamRecord>();
  readonly all: RecordedEvent[] = [];
  private head = 0;
  private wakers = new Set<() => void>();

  client(): MemoryEventStore {
    return new MemoryEventStore(this);
  }

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult {
    const valid = events.map((e) => validateNewEvent(e));
    const record = this.streams.get(stream);
    const current = record?.lastRevision ?? -1;
    const retry = record ? this.idempotentRetry(record, valid, expected, current) : undefined;
    if (retry) return retry;
    const exists = current >= 0;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && !exists) ||
      (expected === 'exists' && exists) ||
      (typeof expected === 'bigint' && exists && Number(expected) === current);
    if (!matches) throw new WrongExpectedRevision(stream, expected, exists ? BigInt(current) : 'no_stream');
    const target = record ?? { events: [], lastRevision: -1, lastHash: GENESIS_HASH, metadata: {} };
    this.streams.set(stream, target);
    const recordedAt = new Date();
    for (const event of valid) {
      target.lastRevision++;
      const content = { stream, id: event.id, type: event.type };
      const text = { data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) };
      target.lastHash = eventHash(target.lastHash, { ...content, ...text }, target.lastRevision, recordedAt.getTime());
      const recorded = {
        ...structuredClone(event),
        streamId: stream,
        revision: BigInt(target.lastRevision),
        position: BigInt(++this.head),
        recordedAt,
        hash: target.lastHash,
      } as RecordedEvent;
      target.events.push(recorded);
      this.all.push(recorded);
    }
    this.trim(target);
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
    return { nextExpectedRevision: BigInt(target.lastRevision), position: BigInt(this.head) };
  }

  private idempotentRetry(
    record: StreamRecord,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    current: number,
  ): AppendResult | undefined {
    const first =
      typeof expected === 'bigint' ? Number(expected) + 1 : expected === 'no_stream' ? 0 : current - events.length + 1;
    const found = events.map((_, i) => record.events.find((e) => e.revision === BigInt(first + i)));
    if (first < 0 || found.some((e, i) => e?.id !== events[i]!.id)) return undefined;
    const last = found[found.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  setMetadata(stream: string, metadata: StreamMetadata): void {
    const record = this.streams.get(stream) ?? { events: [], lastRevision: -1, lastHash: GENESIS_HASH, metadata: {} };
    record.metadata = { ...metadata };
    this.streams.set(stream, record);
    this.trim(record);
  }

  private trim(record: StreamRecord): void {
    const { maxCount, truncateBefore } = record.metadata;
    const keepFrom = Math.max(
      maxCount === undefined ? 0 : record.lastRevision - maxCount + 1,
      truncateBefore === undefined ? 0 : Number(truncateBefore),
    );
    const removed = new Set(record.events.filter((e) => e.revision < BigInt(keepFrom)));
    if (removed.size === 0) return;
    record.events = record.events.filter((e) => !removed.has(e));
    for (let i = this.all.length - 1; i >= 0; i--) if (removed.has(this.all[i]!)) this.all.splice(i, 1);
  }

  headPosition(): bigint {
    return BigInt(this.head);
  }

  /** Resolves at the next append, or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        this.wakers.delete(wake);
        resolve();
      };
      signal?.addEventListener('abort', wake, { once: true });
      this.wakers.add(wake);
    });
  }
}

/** One client of a `MemoryBackend`: every call is asynchronous, as with a real store. */
export class MemoryEventStore implements EventStore {
  private closed = false;

  constructor(readonly backend: MemoryBackend = new MemoryBackend()) {}

  async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.ensureOpen();
    if (events.length === 0) throw new Error('append needs at least one event');
    return this.backend.append(stream, events, expected);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.ensureOpen();
    const events = [...(this.backend.streams.get(stream)?.events ?? [])];
    const backwards = options.direction === 'backwards';
    if (backwards) events.reverse();
    const from = options.fromRevision;
    const selected =
      from === undefined ? events : events.filter((e) => (backwards ? e.revision <= from : e.revision >= from));
    return selected.slice(0, options.maxCount ?? selected.length);
  }

  async streamRevision(stream: string): Promise<bigint | undefined> {
    this.ensureOpen();
    const last = this.backend.streams.get(stream)?.lastRevision ?? -1;
    return last >= 0 ? BigInt(last) : undefined;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    this.ensureOpen();
    const after = options.after ?? 0n;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    for (const event of [...this.backend.all]) {
      if (remaining <= 0) return;
      if (event.position <= after || !matchesFilter(event, options.filter)) continue;
      remaining--;
      yield event;
    }
  }

  async *subscribeAll(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent> {
    let after = options.after ?? 0n;
    while (!options.signal?.aborted && !this.closed) {
      const changed = this.backend.changed(options.signal);
      for (const event of this.backend.all.filter((e) => e.position > after)) {
        if (options.signal?.aborted) return;
        after = event.position;
        if (matchesFilter(event, options.filter)) yield event;
      }
      await changed;
    }
  }

  async headPosition(): Promise<bigint> {
    this.ensureOpen();
    return this.backend.headPosition();
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    this.ensureOpen();
    this.backend.setMetadata(stream, metadata);
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    this.ensureOpen();
    return { ...(this.backend.streams.get(stream)?.metadata ?? {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreClosed();
  }
}
