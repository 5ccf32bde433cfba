// Reads audit records (position, stream, revision, hash) for anchoring, on a thread of its own.
//
// The anchor writer reads every event since the last anchor, ten seconds of history at a time:
// at 5,000 msg/s that is 150,000 rows, whose pages mostly left the cache long ago. Read on the
// event loop it took a fifth of a busy worker's main thread for over a second every ten, and
// receipts and sends queued up behind it (p99 up from 30 to 140 ms). Here it uses the other core.
// The store starts it only for a backlog too big to read in passing, and stops it when idle.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { prepareAuditRecords, readAuditColumns, type AuditColumns } from './audit-records.js';

export type { AuditColumns } from './audit-records.js';

export interface AuditReadRequest {
  readonly id: number;
  readonly after: number;
  readonly maxCount: number;
}

export type AuditReadReply =
  | { readonly id: number; readonly columns: AuditColumns }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
// The store opened (and migrated) the file before starting this thread; this only reads.
const db = new Database(file, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const read = prepareAuditRecords(db);
const port = parentPort!;

port.on('message', (request: AuditReadRequest | 'close') => {
  if (request === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const columns = readAuditColumns(read, request.after, request.maxCount);
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
