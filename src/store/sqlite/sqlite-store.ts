import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { NewEvent } from '../../domain/events/index.js';
import type {
  AppendResult,
  AuditRecord,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadPagesOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeOptions,
} from '../event-store.js';
import { startThread } from '../../runtime/start-thread.js';
import { StoreClosed, StoreCorrupt, StoreUnavailable, WrongExpectedRevision } from '../errors.js';
import {
  decodeOutcome,
  encodeBatch,
  trimStream,
  type EncodedOutcomes,
  type PreparedAppend,
  type WireAppend,
} from './append-writer.js';
import { prepareEvents, refusalError } from './prepare-append.js';
import { ChangeSignal } from './change-signal.js';
import { filterSql } from './filter-sql.js';
import { RAW_COLUMNS, toRecorded, toRecordedRaw, type EventRow, type RawEventRow } from './rows.js';
import type { AuditReadReply, AuditReadRequest } from './audit-reader-thread.js';
import {
  prepareAuditRecords,
  readAuditColumns,
  type AuditColumns,
  type AuditRecordsStatement,
} from './audit-records.js';
import { DEFAULT_BUSY_TIMEOUT_MS, isCorruption, openDatabase, type SqliteOptions } from './schema.js';

export interface SqliteStoreOptions extends SqliteOptions {
  /** How often a live subscription looks for commits by other processes, in ms. Default 20. */
  readonly pollIntervalMs?: number;
  /** Most appends committed in one transaction. Default 1,000. */
  readonly maxBatch?: number;
  /** How long the audit reader thread stays without a read before it stops, in ms. Default 30,000. */
  readonly auditReaderIdleMs?: number;
  /**
   * Where appended events are checked, serialised and digested: on the `caller`'s thread, on the
   * `writer` thread, or (`auto`, the default) on the caller's while its event loop has time.
   */
  readonly prepareOn?: 'auto' | 'caller' | 'writer';
}

interface PendingAppend {
  readonly wire: WireAppend | PreparedAppend;
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface AuditReader {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (reply: AuditReadReply) => void; reject: (error: unknown) => void }>;
  nextId: number;
  idle?: NodeJS.Timeout;
}

/**
 * A backlog of at most this many positions is read on this thread (a millisecond or two): the
 * reader thread is a V8 isolate of its own, 10–14 MB, worth it only for a busy store's backlog.
 */
const AUDIT_INLINE_ROWS = 1_000;
/** The reader thread stops after this long without a read, and starts again when one comes. */
const DEFAULT_AUDIT_READER_IDLE_MS = 30_000;

interface MetaRow {
  max_count: number | null;
  truncate_before: number | null;
  last_revision: number | null;
  base_revision: number | null;
}

type WriterReply =
  { ready: true } | ({ id: number } & EncodedOutcomes) | { id: number; error: { code: string; message: string } };

const PAGE = 500;
const MAX_IN_FLIGHT = 2;

/**
 * The embedded event store: one SQLite file in WAL mode, `synchronous=FULL` by default.
 *
 * Writes go through a dedicated writer thread with its own connection. Appends made while a
 * transaction is being committed queue up and go into the next one together (group commit), so
 * N callers share one fsync, yet each gets its own result: a conflict fails only that caller.
 * Reads use this thread's connection. Other processes may open the same file: SQLite's write
 * lock serialises them, and `data_version` lets their subscriptions see each other's commits.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly writer: Worker;
  private readonly busyTimeoutMs: number;
  private auditReader: AuditReader | undefined;
  private auditStatement: AuditRecordsStatement | undefined;
  private readonly auditReaderIdleMs: number;
  private readonly writerReady: Promise<void>;
  private readonly changes: ChangeSignal;
  private readonly maxBatch: number;
  private queue: PendingAppend[] = [];
  private readonly inFlight = new Map<number, PendingAppend[]>();
  private sendScheduled = false;
  /** See `callerHasTime`. */
  private prepareHere = false;
  private readonly prepareOn: 'auto' | 'caller' | 'writer';
  private loadSample = performance.eventLoopUtilization();
  private loadCheckedAt = 0;
  private nextBatchId = 1;
  private writerFailure: Error | undefined;
  private closed = false;
  private readonly statements;
  private readonly counters = { transactions: 0, appends: 0 };
  private readonly readStatements = new Map<string, Database.Statement<(string | number)[], EventRow>>();
  private readonly pageStatements = new Map<string, Database.Statement<(string | number)[], RawEventRow>>();

  /** Other threads may open the file read-only for bulk reads (see `EventStore.sqliteFile`). */
  get sqliteFile(): string {
    return this.file;
  }

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    // Opening here first means a bad file is refused synchronously, before any thread starts.
    this.db = openDatabase(file, options);
    this.maxBatch = options.maxBatch ?? 1000;
    this.auditReaderIdleMs = options.auditReaderIdleMs ?? DEFAULT_AUDIT_READER_IDLE_MS;
    this.prepareOn = options.prepareOn ?? 'auto';
    const db = this.db;
    this.statements = {
      lastRevision: db.prepare<[string], number | null>('SELECT max(revision) FROM events WHERE stream = ?').pluck(),
      meta: db.prepare<[string], MetaRow>(
        'SELECT max_count, truncate_before, last_revision, base_revision FROM stream_meta WHERE name = ?',
      ),
      hashAt: db
        .prepare<[string, number], Buffer | null>('SELECT hash FROM events WHERE stream = ? AND revision = ?')
        .pluck(),
      setBase: db.prepare('UPDATE stream_meta SET base_revision = ?, base_hash = ? WHERE name = ?'),
      trimBelow: db.prepare('DELETE FROM events WHERE stream = ? AND revision < ?'),
      head: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
    this.changes = new ChangeSignal(() => this.statements.dataVersion.get() as number, options.pollIntervalMs ?? 20);
    const writerOptions: SqliteOptions = { synchronous: options.synchronous, busyTimeoutMs: options.busyTimeoutMs };
    this.writer = startThread(import.meta.url, 'writer-thread', { file, options: writerOptions });
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.writerReady = new Promise((resolve, reject) => {
      this.writer.once('error', reject);
      this.writer.once('message', () => resolve());
    });
    this.writerReady.catch(() => undefined);
    this.writer.on('message', (reply: WriterReply) => this.onReply(reply));
    this.writer.on('error', (error) => this.failWriter(error));
    this.writer.on('exit', () => this.failWriter(new StoreClosed()));
    this.writer.unref();
  }

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosed());
    if (this.writerFailure) return Promise.reject(this.writerFailure);
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    const expectedOnWire = typeof expected === 'bigint' ? Number(expected) : expected;
    let wire: WireAppend | PreparedAppend;
    if (this.callerHasTime()) {
      // Validation, serialisation as validated and the content digest, here while this thread has
      // time: the writer thread then only writes, and a saturated store keeps both threads busy.
      const prepared = prepareEvents(stream, expectedOnWire, events);
      if ('refused' in prepared) return Promise.reject(refusalError(prepared.refused));
      wire = prepared;
    } else {
      // A busy event loop hands that work to the writer thread (see `prepareAppend`): only the one
      // `JSON.stringify` that carries each event there. Only the new event's own fields: a
      // recorded event passed on (a copy) carries bigints too.
      try {
        const texts = events.map(({ id, type, data, metadata }) => JSON.stringify({ id, type, data, metadata }));
        wire = { stream, expected: expectedOnWire, events: texts };
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ wire, expected, resolve, reject });
      this.scheduleSend();
    });
  }

  /**
   * Whether this thread's event loop had time to spare over the last 100 ms or so (busy under 50%
   * of it; it takes over 70% to hand the work back). A busy worker's event loop is what runs out first,
   * so it hands the preparing of events to the writer thread; a store whose callers have time
   * (a bulk import, the store benchmark) prepares them here, beside the writer, which had become
   * the bottleneck doing both (appends per second halved).
   */
  private callerHasTime(): boolean {
    if (this.prepareOn !== 'auto') return this.prepareOn === 'caller';
    const now = performance.now();
    if (now - this.loadCheckedAt >= 100) {
      const sample = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(sample, this.loadSample).utilization;
      this.loadSample = sample;
      this.loadCheckedAt = now;
      if (busy < 0.5) this.prepareHere = true;
      else if (busy > 0.7) this.prepareHere = false;
    }
    return this.prepareHere;
  }

  /**
   * Two batches may be in flight: while the writer commits one (mostly waiting for fsync), the
   * next one fills with the appends of the callers the previous commit released.
   */
  private scheduleSend(): void {
    if (this.sendScheduled || this.inFlight.size >= MAX_IN_FLIGHT) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.sendBatch();
    });
  }

  private sendBatch(): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    // With the writer idle, send half now so the other half forms a second batch that commits
    // while the first one's callers prepare their next appends.
    const take =
      this.inFlight.size === 0 && this.queue.length > 1 ? Math.ceil(this.queue.length / 2) : this.queue.length;
    const batch = this.queue.splice(0, Math.min(take, this.maxBatch));
    const id = this.nextBatchId++;
    this.inFlight.set(id, batch);
    // Referenced only while a write is in flight, so an idle store never keeps the process alive.
    this.writer.ref();
    this.writer.postMessage({ id, batch: encodeBatch(batch.map((p) => p.wire)) });
    if (this.queue.length > 0) this.scheduleSend();
  }

  private onReply(reply: WriterReply): void {
    if ('ready' in reply) return;
    const batch = this.inFlight.get(reply.id);
    if (!batch) return;
    this.inFlight.delete(reply.id);
    if (this.inFlight.size === 0) this.writer.unref();
    if ('error' in reply) {
      const error = this.translate(Object.assign(new Error(reply.error.message), { code: reply.error.code }), 'append');
      for (const pending of batch) pending.reject(error);
    } else {
      this.counters.transactions++;
      this.counters.appends += batch.length;
      this.changes.notify();
      batch.forEach((pending, i) => {
        const outcome = decodeOutcome(reply, i);
        if (outcome.ok) {
          pending.resolve({ nextExpectedRevision: BigInt(outcome.revision), position: BigInt(outcome.position) });
        } else if ('refused' in outcome) {
          pending.reject(refusalError(outcome.refused));
        } else {
          const actual = outcome.actual >= 0 ? BigInt(outcome.actual) : 'no_stream';
          pending.reject(new WrongExpectedRevision(pending.wire.stream, pending.expected, actual));
        }
      });
    }
    this.scheduleSend();
  }

  private failWriter(error: unknown): void {
    if (this.closed) return;
    this.writerFailure = new StoreUnavailable(`the event store's writer thread stopped: ${(error as Error).message}`, {
      cause: error,
    });
    const waiting = [...[...this.inFlight.values()].flat(), ...this.queue];
    this.inFlight.clear();
    this.queue = [];
    for (const pending of waiting) pending.reject(this.writerFailure);
  }

  /**
   * Read statements vary only by shape (direction, limit, filter), a small set: each is prepared
   * once rather than on every read, which cost a tenth of a busy worker's time.
   */
  private cached(sql: string): Database.Statement<(string | number)[], EventRow> {
    let statement = this.readStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<(string | number)[], EventRow>(sql);
      this.readStatements.set(sql, statement);
    }
    return statement;
  }

  /** -1 when the stream has no events and never had any. */
  private currentRevision(stream: string, meta: MetaRow | undefined): number {
    const last = this.statements.lastRevision.get(stream) ?? -1;
    return meta?.last_revision != null ? Math.max(last, meta.last_revision) : last;
  }

  /** How many write transactions carried how many appends (group commit at work). */
  stats(): { transactions: number; appends: number } {
    return { ...this.counters };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.run('readStream', () => {
      const backwards = options.direction === 'backwards';
      const from = options.fromRevision;
      const condition = from === undefined ? '' : backwards ? ' AND revision <= ?' : ' AND revision >= ?';
      const sql = `SELECT * FROM events WHERE stream = ?${condition} ORDER BY revision ${backwards ? 'DESC' : 'ASC'}${
        options.maxCount === undefined ? '' : ' LIMIT ?'
      }`;
      const params: (string | number)[] = [stream];
      if (from !== undefined) params.push(Number(from));
      if (options.maxCount !== undefined) params.push(options.maxCount);
      return this.cached(sql)
        .all(...params)
        .map(toRecorded);
    });
  }

  async streamRevision(stream: string): Promise<bigint | undefined> {
    return this.run('streamRevision', () => {
      const revision = this.currentRevision(stream, this.statements.meta.get(stream));
      return revision >= 0 ? BigInt(revision) : undefined;
    });
  }

  async headPosition(): Promise<bigint> {
    return this.run('headPosition', () => BigInt(this.statements.head.get()?.seq ?? 0));
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    let after = options.after ?? 0n;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    const head = await this.headPosition();
    while (remaining > 0) {
      const page = this.page(after, head, options.filter, Math.min(PAGE, remaining));
      for (const event of page.events) yield event;
      remaining -= page.events.length;
      after = page.scannedTo;
      if (page.scannedTo >= head) return;
    }
  }

  /**
   * Pages of events read with one statement per filter, rows as arrays of only the columns an
   * event needs (no hash), each page converted in one loop: about twice `readAll`'s rate.
   */
  async *readAllPages(options: ReadPagesOptions = {}): AsyncGenerator<RecordedEvent[]> {
    let after = options.after ?? 0n;
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    const head = await this.headPosition();
    const upTo = options.upTo !== undefined && options.upTo < head ? options.upTo : head;
    const size = options.pageSize ?? 5_000;
    const { sql, params } = filterSql(options.filter);
    const text = `SELECT ${RAW_COLUMNS} FROM events WHERE position > ? AND position <= ?${sql} ORDER BY position LIMIT ?`;
    let statement = this.pageStatements.get(text);
    if (!statement) {
      statement = this.db.prepare<(string | number)[], RawEventRow>(text).raw(true);
      this.pageStatements.set(text, statement);
    }
    const read = statement;
    while (remaining > 0 && after < upTo) {
      const limit = Math.min(size, remaining);
      const rows = this.run('readAllPages', () => read.all(Number(after), Number(upTo), ...params, limit));
      const events = new Array<RecordedEvent>(rows.length);
      for (let i = 0; i < rows.length; i++) events[i] = toRecordedRaw(rows[i]!);
      remaining -= events.length;
      after = rows.length === limit ? BigInt(rows[rows.length - 1]![0]) : upTo;
      if (events.length > 0) yield events;
    }
  }

  /** Events after `after` up to `upTo`, and how far the scan got (so filtered scans never repeat). */
  private page(
    after: bigint,
    upTo: bigint,
    filter: ReadAllOptions['filter'],
    limit: number,
  ): { events: RecordedEvent[]; scannedTo: bigint } {
    this.ensureOpen();
    const { sql, params } = filterSql(filter);
    const rows = this.cached(
      `SELECT * FROM events WHERE position > ? AND position <= ?${sql} ORDER BY position LIMIT ?`,
    ).all(Number(after), Number(upTo), ...params, limit);
    const events = rows.map(toRecorded);
    const scannedTo = rows.length === limit ? BigInt(rows[rows.length - 1]!.position) : upTo;
    return { events, scannedTo };
  }

  async *subscribeAll(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent> {
    let after = options.after ?? 0n;
    const signal = options.signal;
    while (!signal?.aborted && !this.closed) {
      // Read the change counter before looking, so a commit landing during the read still wakes us.
      const seen = this.changes.version;
      const head = BigInt(this.run('subscribeAll', () => this.statements.head.get()?.seq ?? 0));
      while (after < head && !signal?.aborted) {
        const page = this.page(after, head, options.filter, PAGE);
        for (const event of page.events) {
          if (signal?.aborted) return;
          yield event;
        }
        after = page.scannedTo;
      }
      await this.changes.wait(seen, signal);
    }
  }

  /**
   * A small backlog is read here; a big one on the audit reader thread (see
   * `audit-reader-thread.ts`), started when needed and stopped when idle.
   */
  async readAuditRecords(after: bigint, maxCount: number): Promise<AuditRecord[]> {
    this.ensureOpen();
    const head = this.run('readAuditRecords', () => this.statements.head.get()?.seq ?? 0);
    const columns =
      head - Number(after) <= AUDIT_INLINE_ROWS
        ? this.run('readAuditRecords', () =>
            readAuditColumns((this.auditStatement ??= prepareAuditRecords(this.db)), Number(after), maxCount),
          )
        : await this.readAuditColumnsOnThread(after, maxCount);
    const { positions, streams, revisions, hashes, retained } = columns;
    const records = new Array<AuditRecord>(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const hash = hashes[i];
      records[i] = {
        position: BigInt(positions[i]!),
        streamId: streams[i]!,
        revision: BigInt(revisions[i]!),
        ...(hash == null ? {} : { hash }),
        retained: retained[i] === 1,
      };
    }
    return records;
  }

  private async readAuditColumnsOnThread(after: bigint, maxCount: number): Promise<AuditColumns> {
    const reader = (this.auditReader ??= this.startAuditReader());
    clearTimeout(reader.idle);
    const id = reader.nextId++;
    const reply = await new Promise<AuditReadReply>((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      reader.worker.ref();
      reader.worker.postMessage({ id, after: Number(after), maxCount } satisfies AuditReadRequest);
    });
    if ('error' in reply) {
      throw this.translate(
        Object.assign(new Error(reply.error.message), { code: reply.error.code }),
        'readAuditRecords',
      );
    }
    return reply.columns;
  }

  private startAuditReader(): AuditReader {
    const worker = startThread(import.meta.url, 'audit-reader-thread', {
      file: this.file,
      busyTimeoutMs: this.busyTimeoutMs,
    });
    const reader: AuditReader = { worker, pending: new Map(), nextId: 1 };
    const fail = (error: unknown) => {
      if (this.auditReader === reader) this.auditReader = undefined;
      const failure = new StoreUnavailable(
        `the event store's audit reader thread stopped: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
      for (const { reject } of reader.pending.values()) reject(failure);
      reader.pending.clear();
    };
    worker.on('message', (reply: AuditReadReply) => {
      const pending = reader.pending.get(reply.id);
      reader.pending.delete(reply.id);
      // Referenced only while a read is in flight, so an idle store never keeps the process alive.
      if (reader.pending.size === 0) {
        worker.unref();
        clearTimeout(reader.idle);
        reader.idle = setTimeout(() => {
          if (this.auditReader !== reader || reader.pending.size > 0) return;
          this.auditReader = undefined;
          worker.postMessage('close');
        }, this.auditReaderIdleMs).unref();
      }
      pending?.resolve(reply);
    });
    worker.on('error', fail);
    worker.on('exit', () => fail(new StoreClosed()));
    worker.unref();
    return reader;
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.run('setStreamMetadata', () => {
      this.db
        .transaction(() => {
          const meta = this.statements.meta.get(stream);
          const revision = this.currentRevision(stream, meta);
          this.db
            .prepare(
              `INSERT INTO stream_meta (name, max_count, truncate_before, last_revision) VALUES (?, ?, ?, ?)
               ON CONFLICT(name) DO UPDATE SET max_count = excluded.max_count,
                 truncate_before = excluded.truncate_before, last_revision = excluded.last_revision`,
            )
            .run(
              stream,
              metadata.maxCount ?? null,
              metadata.truncateBefore === undefined ? null : Number(metadata.truncateBefore),
              revision >= 0 ? revision : null,
            );
          const keepFrom = Math.max(
            metadata.truncateBefore === undefined ? 0 : Number(metadata.truncateBefore),
            metadata.maxCount === undefined ? 0 : revision - metadata.maxCount + 1,
          );
          trimStream(this.statements, stream, keepFrom, meta?.base_revision ?? null);
        })
        .immediate();
    });
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    return this.run('getStreamMetadata', () => {
      const row = this.statements.meta.get(stream);
      return {
        ...(row?.max_count != null ? { maxCount: row.max_count } : {}),
        ...(row?.truncate_before != null ? { truncateBefore: BigInt(row.truncate_before) } : {}),
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted reach the disk before the connections go.
    while ((this.inFlight.size > 0 || this.queue.length > 0) && !this.writerFailure) {
      await new Promise((r) => setTimeout(r, 1));
    }
    this.closed = true;
    this.changes.notify();
    this.changes.stopPolling();
    const exited = new Promise((r) => this.writer.once('exit', r));
    this.writer.ref();
    this.writer.postMessage({ close: true });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.writer.terminate();
    const reader = this.auditReader;
    this.auditReader = undefined;
    if (reader) {
      clearTimeout(reader.idle);
      const exited = new Promise((r) => reader.worker.once('exit', r));
      // Referenced until it has gone: an idle reader is unreferenced, and nothing else may be left.
      reader.worker.ref();
      reader.worker.postMessage('close');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      await reader.worker.terminate();
    }
    this.db.close();
  }

  /** Resolves once the writer thread has opened its connection. */
  ready(): Promise<void> {
    // Keep the process alive while waiting: the writer is otherwise referenced only mid-write.
    this.writer.ref();
    return this.writerReady.finally(() => {
      if (this.inFlight.size === 0) this.writer.unref();
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreClosed();
  }

  private run<T>(operation: string, fn: () => T): T {
    this.ensureOpen();
    try {
      return fn();
    } catch (error) {
      throw this.translate(error, operation);
    }
  }

  private translate(error: unknown, operation: string): unknown {
    if (isCorruption(error)) {
      return new StoreCorrupt(`event store ${this.file} is damaged (${operation}): ${(error as Error).message}`, {
        cause: error,
      });
    }
    const code = (error as { code?: string } | null)?.code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      return new StoreUnavailable(`event store ${this.file} stayed locked by another process (${operation})`, {
        cause: error,
      });
    }
    return error;
  }
}
