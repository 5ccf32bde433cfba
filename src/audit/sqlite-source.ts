import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreCorrupt } from '../store/errors.js';
import { fromHashColumn } from '../store/sqlite/hash-column.js';
import { APPLICATION_ID, HASHED_SCHEMA_VERSION } from '../store/sqlite/schema.js';
import type { AuditRow, AuditSource, StreamRetention } from './audit-source.js';

type RawRow = [number, string, number, string, string, string, string, number, Buffer | null];

function toRow(r: RawRow): AuditRow {
  return {
    position: r[0],
    stream: r[1],
    revision: r[2],
    id: r[3],
    type: r[4],
    data: r[5],
    metadata: r[6],
    recordedAt: r[7],
    hash: fromHashColumn(r[8]),
  };
}

/**
 * Reads a SQLite store file directly, read-only, inside one read transaction: verify sees one
 * consistent snapshot while the engine goes on writing, and never changes the file (a store
 * from before hashing is not migrated; all its events are reported unchained).
 */
export function openSqliteAuditSource(file: string): AuditSource {
  if (!existsSync(file)) throw new Error(`there is no event store at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) {
      throw new StoreCorrupt(`${file} is not a Signalbox event store`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    const hashed = version >= HASHED_SCHEMA_VERSION;
    db.exec('BEGIN');
    const columns = `position, stream, revision, id, type, data, metadata, recorded_at, ${hashed ? 'hash' : 'NULL'}`;
    const page = db
      .prepare<[number, number], RawRow>(`SELECT ${columns} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
      .raw();
    const streamPage = db
      .prepare<[string, number, number], RawRow>(
        `SELECT ${columns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      )
      .raw();
    const total = db.prepare<[], number>('SELECT count(*) FROM events').pluck().get() ?? 0;
    const head = db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() ?? 0;
    const unchainedUntil = hashed
      ? (db.prepare<[], number>("SELECT value FROM audit_info WHERE name = 'unchained_until'").pluck().get() ?? 0)
      : head;
    const metaColumns = hashed ? 'base_revision, base_hash' : 'NULL, NULL';
    const streamMeta = new Map<string, StreamRetention>(
      db
        .prepare<[], [string, number | null, number | null, number | null, number | null, Buffer | null]>(
          `SELECT name, max_count, truncate_before, last_revision, ${metaColumns} FROM stream_meta`,
        )
        .raw()
        .all()
        .map(([name, maxCount, truncateBefore, lastRevision, baseRevision, baseHash]) => [
          name,
          { maxCount, truncateBefore, lastRevision, baseRevision, baseHash: fromHashColumn(baseHash) },
        ]),
    );
    return {
      total,
      unchainedUntil,
      streamMeta,
      page: (after, limit) => page.all(after, limit).map(toRow),
      streamPage: (stream, fromRevision, limit) => streamPage.all(stream, fromRevision, limit).map(toRow),
      close: () => {
        db.exec('COMMIT');
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
