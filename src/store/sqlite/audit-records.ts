// The audit records query and its columnar page, shared by the audit reader thread and the store,
// which reads a small backlog itself rather than keep a thread (and its V8 isolate) for it.
import type Database from 'better-sqlite3';
import { fromHashColumn } from './hash-column.js';

/** One page of records, a column each, so that crossing threads copies a few arrays. */
export interface AuditColumns {
  readonly positions: Float64Array;
  readonly streams: string[];
  readonly revisions: Float64Array;
  readonly hashes: (string | null)[];
  readonly retained: Uint8Array;
}

export type AuditRecordsStatement = Database.Statement<
  [number, number],
  [number, string, number, Buffer | null, number]
>;

const AUDIT_RECORDS_SQL = `SELECT e.position, e.stream, e.revision, e.hash,
         m.max_count IS NOT NULL OR m.truncate_before IS NOT NULL
  FROM events e LEFT JOIN stream_meta m ON m.name = e.stream
  WHERE e.position > ? ORDER BY e.position LIMIT ?`;

export function prepareAuditRecords(db: Database.Database): AuditRecordsStatement {
  return db.prepare<[number, number], [number, string, number, Buffer | null, number]>(AUDIT_RECORDS_SQL).raw();
}

/** Up to `maxCount` records after position `after`, in position order. */
export function readAuditColumns(statement: AuditRecordsStatement, after: number, maxCount: number): AuditColumns {
  const rows = statement.all(after, maxCount);
  const columns: AuditColumns = {
    positions: new Float64Array(rows.length),
    streams: new Array<string>(rows.length),
    revisions: new Float64Array(rows.length),
    hashes: new Array<string | null>(rows.length),
    retained: new Uint8Array(rows.length),
  };
  rows.forEach(([position, stream, revision, hash, retained], i) => {
    columns.positions[i] = position;
    columns.streams[i] = stream;
    columns.revisions[i] = revision;
    columns.hashes[i] = fromHashColumn(hash);
    columns.retained[i] = retained;
  });
  return columns;
}
