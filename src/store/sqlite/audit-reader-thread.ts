// Reads audit records (position, stream, revision, hash) for anchoring, on a thread of its own.
//
// The anchor writer reads every event since the last anchor, ten seconds of history at a time:
// at 5,000 msg/s that is 150,000 rows, whose pages mostly left the cache long ago. Read on the
// event loop it took a fifth of a busy worker's main thread for over a second every ten, and
// receipts and sends queued up behind it (p99 up from 30 to 140 ms). Here it uses the other core.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { fromHashColumn } from './hash-column.js';

export interface AuditReadRequest {
  readonly id: number;
  readonly after: number;
  readonly maxCount: number;
}

/** One page of records, a column each, so that crossing threads copies a few arrays. */
export interface AuditColumns {
  readonly positions: Float64Array;
  readonly streams: string[];
  readonly revisions: Float64Array;
  readonly hashes: (string | null)[];
  readonly retained: Uint8Array;
}

export type AuditReadReply =
  | { readonly id: number; readonly columns: AuditColumns }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const AUDIT_RECORDS_SQL = `SELECT e.position, e.stream, e.revision, e.hash,
         m.max_count IS NOT NULL OR m.truncate_before IS NOT NULL
  FROM events e LEFT JOIN stream_meta m ON m.name = e.stream
  WHERE e.position > ? ORDER BY e.position LIMIT ?`;

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
// The store opened (and migrated) the file before starting this thread; this only reads.
const db = new Database(file, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const read = db.prepare<[number, number], [number, string, number, Buffer | null, number]>(AUDIT_RECORDS_SQL).raw();
const port = parentPort!;

port.on('message', (request: AuditReadRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const rows = read.all(request.after, request.maxCount);
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
    port.postMessage({ id: request.id, columns } satisfies AuditReadReply, [
      columns.positions.buffer as ArrayBuffer,
      columns.revisions.buffer as ArrayBuffer,
      columns.retained.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    port.postMessage({
      id: request.id,
      error: { code: code ?? 'UNKNOWN', message: message ?? String(error) },
    } satisfies AuditReadReply);
  }
});
