import type { EventMetadata, NewEvent, SignalboxEvent } from '../domain/events/index.js';

/**
 * What an append expects of the stream: that it does not exist yet, that it exists, nothing
 * (`any`), or that its last event has exactly this revision (the first event is revision 0).
 */
export type ExpectedRevision = 'no_stream' | 'any' | 'exists' | bigint;

export interface AppendResult {
  /** The revision of the last event written; pass it as the expected revision of the next append. */
  readonly nextExpectedRevision: bigint;
  /** The global position of the last event written. */
  readonly position: bigint;
}

/** An event as read back from the store, upcast to the current schema version. */
export type RecordedEvent = SignalboxEvent & {
  readonly id: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
  /**
   * The audit hash chain link (`event-hash.ts`, docs/audit.md): sha256 over the previous event's
   * hash in the stream and this event's stored content. Absent for events stored before the
   * store hashed them.
   */
  readonly hash?: string;
};

/** What the audit anchors need of a stored event, read without decoding it. */
export interface AuditRecord {
  readonly position: bigint;
  readonly streamId: string;
  readonly revision: bigint;
  readonly hash?: string;
  /** The stream has retention metadata (`maxCount` or `truncateBefore`): anchors leave it out. */
  readonly retained: boolean;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default: the start (or the end when backwards). */
  readonly fromRevision?: bigint;
  /** Default: no limit. */
  readonly maxCount?: number;
  /** Default: `forwards`. */
  readonly direction?: 'forwards' | 'backwards';
}

export interface EventFilter {
  /** Only streams whose name starts with one of these (`message-`, `lease-`). */
  readonly streamPrefixes?: readonly string[];
  /** Only these event types. */
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Return events after this global position (exclusive). Default: from the beginning. */
  readonly after?: bigint;
  /** Default: no limit. */
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface ReadPagesOptions extends ReadAllOptions {
  /** Stop after this global position (inclusive). Default: the head when the read starts. */
  readonly upTo?: bigint;
  /** Events per page, at most. Default 5,000. */
  readonly pageSize?: number;
}

export interface SubscribeOptions {
  /** Deliver events after this position (exclusive): a checkpoint. Default: from the beginning. */
  readonly after?: bigint;
  readonly filter?: EventFilter;
  /** Aborting ends the iteration cleanly. */
  readonly signal?: AbortSignal;
}

export interface StreamMetadata {
  /** Keep only the newest `maxCount` events; older ones are removed. */
  readonly maxCount?: number;
  /** Events with a lower revision are removed. */
  readonly truncateBefore?: bigint;
}

/**
 * The event store port. Implementations: SQLite (embedded default) and EventStoreDB. Both pass
 * the contract suite in `test/contract/`.
 */
export interface EventStore {
  /**
   * Appends events atomically. Throws `WrongExpectedRevision` when the stream does not match
   * `expected`. Appending the same event ids again at the same expected revision is an
   * idempotent retry: it succeeds and writes nothing new.
   */
  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** The stream's events; an empty array when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The revision of the stream's last event, or `undefined` when it has none. */
  streamRevision(stream: string): Promise<bigint | undefined>;
  /** All events in global order, paged internally. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Catches up from `after`, then goes live; no gap and no duplicate across the switch. */
  subscribeAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent>;
  /** The position of the newest event (0n when empty), for lag. */
  headPosition(): Promise<bigint>;
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void>;
  getStreamMetadata(stream: string): Promise<StreamMetadata>;
  /**
   * Optional fast path for the audit anchors: up to `maxCount` events after `after` in global
   * order, without decoding them. Stores without it are read through `readAll`.
   */
  readAuditRecords?(after: bigint, maxCount: number): Promise<AuditRecord[]>;
  /**
   * Optional fast path for bulk readers (view rebuilds and catch-ups): the events `readAll` would
   * return, up to `upTo`, in pages of at most `pageSize`, without their audit `hash`. Stores
   * without it are read through `readAll` (`src/projections/read-pages.ts`).
   */
  readAllPages?(options?: ReadPagesOptions): AsyncIterable<readonly RecordedEvent[]>;
  /**
   * The SQLite file holding the events, when the store is one: other threads may open it
   * read-only, so a rebuild reads it in partitions on several cores.
   */
  readonly sqliteFile?: string;
  close(): Promise<void>;
}
