import type Database from 'better-sqlite3';
import type { EventFilter, EventStore, RecordedEvent } from '../store/event-store.js';

/** A view: its name, which events it reads, and how one event changes it (inside a transaction). */
export interface Projection {
  readonly name: string;
  readonly filter?: EventFilter;
  /** Creates the view's tables if missing. */
  setup(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
}

export interface RunnerOptions {
  /** Events applied per transaction, at most. Default 500. */
  readonly batchSize?: number;
  /** Called after each committed batch, with the position reached. */
  readonly onBatch?: (position: bigint, count: number) => void;
}

/**
 * Follows the store and applies every event to a view, writing the view's checkpoint in the
 * same SQLite transaction as the change: a crash can neither apply an event twice nor skip one.
 * Events that arrive together are applied in one transaction.
 */
export class ProjectionRunner {
  private position: bigint;

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projection: Projection,
    private readonly options: RunnerOptions = {},
  ) {
    projection.setup(db);
    const row = db.prepare('SELECT position FROM checkpoints WHERE view = ?').get(projection.name) as
      { position: number } | undefined;
    this.position = BigInt(row?.position ?? 0);
  }

  get checkpoint(): bigint {
    return this.position;
  }

  async run(signal: AbortSignal): Promise<void> {
    const limit = this.options.batchSize ?? 500;
    const pending: RecordedEvent[] = [];
    let flushScheduled: Promise<void> | undefined;
    const flush = () => {
      const batch = pending.splice(0, pending.length);
      if (batch.length === 0) return;
      this.applyBatch(batch);
    };
    for await (const event of this.store.subscribeAll({
      after: this.position,
      signal,
      ...(this.projection.filter ? { filter: this.projection.filter } : {}),
    })) {
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
  }

  private applyBatch(batch: RecordedEvent[]): void {
    const last = batch[batch.length - 1]!.position;
    this.db.transaction(() => {
      for (const event of batch) this.projection.apply(this.db, event);
      this.db
        .prepare(
          'INSERT INTO checkpoints (view, position) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET position = excluded.position',
        )
        .run(this.projection.name, Number(last));
    })();
    this.position = last;
    this.options.onBatch?.(last, batch.length);
  }
}
