// The write connection of a SqliteEventStore, on its own thread: the fsync of each group commit
// happens here, so the event loop that renews leases and serves sockets never waits for the disk;
// so do the checks and the content digest of each event (`prepareAppend`), which the caller's
// busy event loop has less time for than this thread, mostly waiting for fsync.
import { parentPort, workerData } from 'node:worker_threads';
import {
  AppendWriter,
  decodeBatch,
  encodeOutcomes,
  type PreparedAppend,
  type Refusal,
  type WireBatch,
  type WireOutcome,
} from './append-writer.js';
import { prepareAppend } from './prepare-append.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase, type SqliteOptions } from './schema.js';
import { WriteLock } from './write-lock.js';

export type WriterRequest = { readonly id: number; readonly batch: WireBatch } | { readonly close: true };

const { file, options } = workerData as { file: string; options: SqliteOptions };
const db = openDatabase(file, options);
// This connection takes the write lock by polling (see WriteLock), never in SQLite's busy handler;
// the store's other connections keep the busy timeout.
db.pragma('busy_timeout = 0');
const writer = new AppendWriter(db, new WriteLock(db, { timeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS }));
const port = parentPort!;

port.on('message', (request: WriterRequest) => {
  if ('close' in request) {
    db.close();
    port.close();
    return;
  }
  try {
    const appends = decodeBatch(request.batch).map((append) => ('rows' in append ? append : prepareAppend(append)));
    const encoded = encodeOutcomes(write(appends));
    port.postMessage({ id: request.id, ...encoded }, [encoded.outcomes.buffer as ArrayBuffer]);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    port.postMessage({ id: request.id, error: { code: code ?? 'UNKNOWN', message: message ?? String(error) } });
  }
});
port.postMessage({ ready: true });

/** Writes the appends that were not refused in one transaction; each refused one keeps its place. */
function write(batch: readonly (PreparedAppend | { refused: Refusal })[]): WireOutcome[] {
  const valid = batch.filter((append): append is PreparedAppend => !('refused' in append));
  if (valid.length === batch.length) return writer.writeBatch(valid);
  const written = valid.length > 0 ? writer.writeBatch(valid) : [];
  let next = 0;
  return batch.map((append) => ('refused' in append ? { ok: false, refused: append.refused } : written[next++]!));
}
