import Database from 'better-sqlite3';
import { useWal } from '../store/sqlite/use-wal.js';
import { openViewFiles } from './view-files.js';

const BUSY_TIMEOUT_MS = 10_000;

/**
 * A node's read models live in their own SQLite file, next to (never inside) the event store:
 * they can be dropped and rebuilt from history at any time.
 */
export function openViewDatabase(file: string): Database.Database {
  const db = new Database(file);
  useWal(db, BUSY_TIMEOUT_MS);
  // A view lost in a power cut is rebuilt from its checkpoint; it need not fsync every batch.
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (view TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID`);
  openViewFiles(db);
  return db;
}
