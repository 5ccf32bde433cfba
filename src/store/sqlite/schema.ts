import Database from 'better-sqlite3';
import { StoreCorrupt } from '../errors.js';
import { useWal } from './use-wal.js';

/** `SBOX` in the SQLite header's application_id: tells our files from other SQLite databases. */
export const APPLICATION_ID = 0x53424f58;

/** The schema version from which events carry their audit hash. */
export const HASHED_SCHEMA_VERSION = 2;

/** Migrations, applied in order; `user_version` records how many ran. */
const migrations: readonly string[] = [
  // A stream's revision is read from the (stream, revision) index itself; there is no per-stream
  // row to update on every append, because with one new stream per message that second random
  // B-tree insert halved throughput. `stream_meta` holds only streams that have metadata.
  `CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     stream TEXT NOT NULL,
     revision INTEGER NOT NULL,
     id TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     metadata TEXT NOT NULL,
     recorded_at INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX events_stream_revision ON events(stream, revision);
   CREATE TABLE stream_meta (
     name TEXT PRIMARY KEY,
     max_count INTEGER,
     truncate_before INTEGER,
     -- the revision of the last event ever written, kept when truncation removed every event
     last_revision INTEGER
   ) WITHOUT ROWID;`,
  // The audit hash chain (docs/audit.md). Events written before this migration keep a NULL hash:
  // `audit_info.unchained_until` records the last position they can have, so verify reports them
  // as unchained instead of mistaking them for tampering (or a tampered event for one of them).
  // `base_revision`/`base_hash` are the last event retention removed from a stream, so the chain
  // of what remains still starts from a known hash.
  `ALTER TABLE events ADD COLUMN hash BLOB;
   ALTER TABLE stream_meta ADD COLUMN base_revision INTEGER;
   ALTER TABLE stream_meta ADD COLUMN base_hash BLOB;
   CREATE TABLE audit_info (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO audit_info (name, value)
     VALUES ('unchained_until', coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0));`,
];

/** How long a connection waits for another process's lock unless told otherwise, in ms. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface SqliteOptions {
  /** `FULL` (default) fsyncs every commit; `NORMAL` may lose the last commits on power loss. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * How long a connection waits for another process's lock, in ms. Default 10,000. The writer thread
   * polls for the write lock for this long rather than sleeping in SQLite's busy handler.
   */
  readonly busyTimeoutMs?: number;
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

/**
 * Opens (and on first use creates) a Signalbox store file. A file that is not SQLite, is damaged,
 * or is a SQLite database of some other application is refused with a `StoreCorrupt` naming it.
 */
export function openDatabase(file: string, options: SqliteOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new StoreCorrupt(`cannot open event store ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    useWal(db, busyTimeoutMs);
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreCorrupt) throw error;
    if (isCorruption(error)) {
      throw new StoreCorrupt(
        `event store ${file} is not a valid SQLite database or is damaged: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (applicationId !== APPLICATION_ID) {
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master`).get() as { n: number };
      if (applicationId !== 0 || tables.n > 0) {
        throw new StoreCorrupt(
          `${file} is a SQLite database of another application (application_id ${applicationId}, ${tables.n} schema objects), not a Signalbox event store`,
        );
      }
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    if (version > migrations.length) {
      throw new StoreCorrupt(
        `${file} has store schema version ${version}, newer than this build knows (${migrations.length}); upgrade Signalbox`,
      );
    }
    for (let v = version; v < migrations.length; v++) db.exec(migrations[v]!);
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

export { isCorruption };
