// The write connection of a SqliteEventStore, on its own thread: the fsync of each group commit
// happens here, so the event loop that renews leases and serves sockets never waits for the disk.
import { parentPort, workerData } from 'node:worker_threads';
import { AppendWriter, decodeBatch, encodeOutcomes, type WireBatch } from './append-writer.js';
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
    const outcomes = encodeOutcomes(writer.writeBatch(decodeBatch(request.batch)));
    port.postMessage({ id: request.id, outcomes }, [outcomes.buffer as ArrayBuffer]);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    port.postMessage({ id: request.id, error: { code: code ?? 'UNKNOWN', message: message ?? String(error) } });
  }
});
port.postMessage({ ready: true });
