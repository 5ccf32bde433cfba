import type Database from 'better-sqlite3';
import type { EventFilter, EventStore, RecordedEvent } from '../store/event-store.js';
import { readPages } from './read-pages.js';
import { inViewTransaction, openViewFiles, setupView } from './view-files.js';

/** A table of a view, as a checksum and a rebuild see it. */
export interface ViewTable {
  readonly name: string;
  /** The primary key's columns: rows are hashed in this order. */
  readonly key: readonly string[];
  /** Node-local bookkeeping not derived from events: left out of checksums, reset by a rebuild. */
  readonly localColumns?: readonly string[];
  /**
   * In a view rebuilt in slices, a row of this key may come from several slices: its other
   * columns are counts, added up. Otherwise each row comes from the one slice of its message.
   */
  readonly additive?: boolean;
}

/** A view: its name, which events it reads, and how one event changes it (inside a transaction). */
export interface Projection {
  readonly name: string;
  readonly filter?: EventFilter;
  readonly tables: readonly ViewTable[];
  /** Creates the view's tables if missing. */
  setup(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
  /**
   * Applies many events inside one transaction of the caller's, keeping changed rows in memory
   * and writing each once on `flush` instead of once per event. Default: `apply`, event by event.
   */
  batchWriter?(db: Database.Database, options?: BatchWriterOptions): BatchWriter;
  /**
   * The view's rows each belong to one message (or add up, `ViewTable.additive`) and its batch
   * writer honours `owns`: a rebuild may then build it in slices of the messages, one thread
   * each. `shared` names the event types in a message's stream that change other messages too
   * (every slice reads them; events of other streams every slice reads anyway).
   */
  readonly partition?: { readonly shared: readonly string[] };
}

export interface BatchWriter {
  apply(event: RecordedEvent): void;
  /** Writes what the events applied since the last flush changed. */
  flush(): void;
  /** Completes the tables once a rebuild's pass has applied its events, before they are read. */
  finish?(): void;
}

export interface BatchWriterOptions {
  /**
   * Only this writer changes the view's tables, which were empty when it began (a rebuild's side
   * file): it may keep rows in memory between flushes and need not look for rows it never wrote.
   */
  readonly exclusive?: boolean;
  /**
   * Keep only the rows of the messages this accepts (a view with `partition`, rebuilt by several
   * threads, each one slice of the messages). Default: every message.
   */
  readonly owns?: (messageId: string) => boolean;
}

/** The projection's batch writer, or one that applies event by event. */
export function batchWriter(projection: Projection, db: Database.Database, options?: BatchWriterOptions): BatchWriter {
  if (projection.batchWriter) return projection.batchWriter(db, options);
  return { apply: (event) => projection.apply(db, event), flush: () => undefined };
}

export interface RunnerOptions {
  /** Events applied per transaction, at most. Default 500. */
  readonly batchSize?: number;
  /** Called after each committed batch, with the position reached. */
  readonly onBatch?: (position: bigint, count: number) => void;
}

/** Where `catchUp` stops: a position, a time (events recorded after it are left out), or both. */
export interface CatchUpLimit {
  readonly position?: bigint;
  readonly time?: Date;
}

/** The position a view has applied, as its checkpoint row says (0 when it never ran). */
export function readCheckpoint(db: Database.Database, view: string): bigint {
  const row = db.prepare('SELECT position FROM checkpoints WHERE view = ?').get(view) as
    { position: number } | undefined;
  return BigInt(row?.position ?? 0);
}

/**
 * Follows the store and applies every event to a view, writing the view's checkpoint in the
 * same SQLite transaction as the change: a crash can neither apply an event twice nor skip one.
 * Events that arrive together are applied in one transaction. Because the checkpoint is read
 * again inside that transaction, several runners (an engine and a CLI query, or a rebuild that
 * swapped in a view further ahead) may feed one view file without applying an event twice.
 */
export class ProjectionRunner {
  private position: bigint;
  private readonly saveCheckpoint: Database.Statement;
  private readonly loadCheckpoint: Database.Statement;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projection: Projection,
    private readonly options: RunnerOptions = {},
  ) {
    openViewFiles(db);
    setupView(db, projection);
    this.saveCheckpoint = db.prepare(
      'INSERT INTO checkpoints (view, position) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET position = excluded.position',
    );
    this.loadCheckpoint = db.prepare('SELECT position FROM checkpoints WHERE view = ?');
    this.position = readCheckpoint(db, projection.name);
  }

  get checkpoint(): bigint {
    return this.position;
  }

  /** How many positions the view is behind the store's head. */
  async lag(): Promise<bigint> {
    const head = await this.store.headPosition();
    return head > this.position ? head - this.position : 0n;
  }

  async run(signal: AbortSignal): Promise<void> {
    const limit = this.options.batchSize ?? 500;
    const pending: RecordedEvent[] = [];
    let flushScheduled: Promise<void> | undefined;
    // A batch that fails (the view file locked past the busy timeout, say) ends the run with its
    // error, to be run again: thrown from the deferred flush, it would escape every caller.
    let failure: { error: unknown } | undefined;
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    signal.addEventListener('abort', stop, { once: true });
    const flush = () => {
      const batch = pending.splice(0, pending.length);
      if (batch.length === 0 || failure) return;
      try {
        this.applyBatch(batch);
      } catch (error) {
        failure = { error };
        stopped.abort();
      }
    };
    try {
      for await (const event of this.store.subscribeAll({
        after: this.position,
        signal: stopped.signal,
        ...(this.projection.filter ? { filter: this.projection.filter } : {}),
      })) {
        if (failure) break;
        pending.push(event);
        if (pending.length >= limit) flush();
        // Apply what arrived together once the subscription has nothing more ready right now.
        flushScheduled ??= new Promise<void>((resolve) =>
          setImmediate(() => {
            flushScheduled = undefined;
            flush();
            resolve();
          }),
        );
      }
      await flushScheduled;
      flush();
    } catch (error) {
      // The subscription ends with an abort error when a failed batch stopped it.
      if (!failure) throw error;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (failure) throw failure.error;
  }

  /**
   * Applies everything up to a position (default: the head when called), or up to a time, and
   * returns. For a query that must see the latest history, a rebuild, or a view as of a time.
   */
  async catchUp(limit: CatchUpLimit = {}, onProgress?: (position: bigint) => void): Promise<bigint> {
    const target = limit.position ?? (await this.store.headPosition());
    const until = limit.time?.getTime();
    const size = this.options.batchSize ?? 500;
    let timeReached = false;
    const pages = readPages(this.store, {
      after: this.position,
      upTo: target,
      pageSize: size,
      ...(this.projection.filter ? { filter: this.projection.filter } : {}),
    });
    for await (const page of pages) {
      let batch = page;
      // Events recorded after the time end the catch-up, the first of them included.
      const end = until === undefined ? -1 : page.findIndex((event) => event.recordedAt.getTime() > until);
      if (end >= 0) {
        batch = page.slice(0, end);
        timeReached = true;
      }
      if (batch.length > 0) {
        this.applyBatch(batch);
        onProgress?.(this.position);
      }
      if (timeReached) break;
    }
    // A filtered view may have no event near the target; it has still seen everything up to it.
    if (!timeReached && until === undefined && this.position < target) this.advanceTo(target);
    onProgress?.(this.position);
    return this.position;
  }

  private advanceTo(position: bigint): void {
    this.db
      .transaction(() => {
        const current = this.storedCheckpoint();
        if (current < position) this.saveCheckpoint.run(this.projection.name, Number(position));
      })
      .immediate();
    this.position = position;
  }

  private storedCheckpoint(): bigint {
    const row = this.loadCheckpoint.get(this.projection.name) as { position: number } | undefined;
    return BigInt(row?.position ?? 0);
  }

  private applyBatch(batch: readonly RecordedEvent[]): void {
    const last = batch[batch.length - 1]!.position;
    let applied = 0;
    inViewTransaction(this.db, () => {
      const done = this.storedCheckpoint();
      // Made inside the transaction: what it reads must be what this transaction sees.
      const writer = batchWriter(this.projection, this.db);
      for (const event of batch) {
        if (event.position <= done) continue;
        writer.apply(event);
        applied++;
      }
      writer.flush();
      if (last > done) this.saveCheckpoint.run(this.projection.name, Number(last));
    });
    if (last > this.position) this.position = last;
    this.options.onBatch?.(last, applied);
  }
}
