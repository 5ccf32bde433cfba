import Database from 'better-sqlite3';
import type { EventStore } from '../store/event-store.js';
import { ProjectionRunner, type Projection } from './runner.js';

export interface ViewAsOf {
  /** An in-memory view database holding the projection as it stood; close it when done. */
  readonly db: Database.Database;
  /** The last position applied: the newest event recorded at or before the time. */
  readonly position: bigint;
}

/**
 * Builds a view as it stood at a time (what was suspended at 03:00 last Tuesday, which
 * configuration was live) by replaying history recorded up to then into a throwaway database.
 */
export async function buildViewAsOf(
  store: EventStore,
  projections: readonly Projection[],
  at: Date,
  onProgress?: (view: string, position: bigint) => void,
): Promise<ViewAsOf> {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE checkpoints (view TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID');
  let position = 0n;
  try {
    for (const projection of projections) {
      const runner = new ProjectionRunner(store, db, projection, { batchSize: 5_000 });
      const reached = await runner.catchUp({ time: at }, (p) => onProgress?.(projection.name, p));
      if (reached > position) position = reached;
    }
    return { db, position };
  } catch (error) {
    db.close();
    throw error;
  }
}
