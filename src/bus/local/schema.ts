import Database from 'better-sqlite3';
import { useWal } from '../../store/sqlite/use-wal.js';
import { WriteLock } from '../../store/sqlite/write-lock.js';
import { WorkQueueMisconfigured } from '../errors.js';

/** `SBWQ` in the SQLite header: tells a work queue file from an event store or a stranger. */
const APPLICATION_ID = 0x53425751;

/** Migrations, applied in order; `user_version` records how many ran. */
const migrations: readonly string[] = [
  // `due_at` is when the item may next be claimed: its `notBefore`, the end of its current lease,
  // or the end of a nack delay. One column for all three keeps "what can be claimed now" a single
  // range scan of one index. Acked rows stay (done = 1) until the dedup window has passed.
  `CREATE TABLE work (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     dedup_key TEXT NOT NULL UNIQUE,
     payload TEXT NOT NULL,
     published_at INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     lease_owner TEXT,
     delivery_count INTEGER NOT NULL DEFAULT 0,
     done INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX work_due ON work(due_at, seq) WHERE done = 0;
   CREATE INDEX work_done ON work(published_at) WHERE done = 1;`,
];

export interface WorkDatabaseOptions {
  /** How long a write waits for another process's write lock, in ms. Default 5,000. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (and on first use creates) a work queue file. `synchronous = NORMAL`: in WAL mode that
 * survives a process crash and may lose the last commits on power loss, which the reconciler
 * repairs from the event store; the queue is not the system of record.
 */
export function openWorkDatabase(file: string, options: WorkDatabaseOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new WorkQueueMisconfigured(`cannot open work queue ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    useWal(db, busyTimeoutMs);
    db.pragma('synchronous = NORMAL');
    // Opening beside running workers, whose queue traffic keeps the write lock busy: SQLite's busy
    // handler sleeps in growing steps and can starve behind them (a restarted worker failed to
    // start with "database is locked" under the remote-file kill test). Polling for the lock,
    // as the event store's writer does, catches the gaps between their commits.
    db.pragma('busy_timeout = 0');
    new WriteLock(db, { timeoutMs: Math.max(busyTimeoutMs, 30_000) }).transaction(() => migrate(db, file));
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof WorkQueueMisconfigured) throw error;
    throw new WorkQueueMisconfigured(`work queue ${file} cannot be used: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Runs inside the write lock the caller holds. */
function migrate(db: Database.Database, file: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId !== APPLICATION_ID) {
    const objects = db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() as number;
    if (applicationId !== 0 || objects > 0) {
      throw new WorkQueueMisconfigured(
        `${file} is not a Signalbox work queue (application_id ${applicationId}, ${objects} schema objects)`,
      );
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }
  if (version > migrations.length) {
    throw new WorkQueueMisconfigured(
      `${file} has work queue schema version ${version}, newer than this build knows (${migrations.length})`,
    );
  }
  for (let v = version; v < migrations.length; v++) db.exec(migrations[v]!);
  db.pragma(`user_version = ${migrations.length}`);
}
