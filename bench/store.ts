import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { NewEvent } from '../src/domain/events/index.js';
import { makeEvent } from '../src/store/make-event.js';
import { newMessageId } from '../src/store/message-id.js';
import { SqliteEventStore } from '../src/store/sqlite/index.js';
import { progress, report } from './report.js';

export interface StoreBenchOptions {
  readonly seconds: number;
  readonly json: boolean;
  /** Concurrent appenders; the raw baseline commits the same number of rows per transaction. */
  readonly concurrency?: number;
  /** Folder for the database files (same disk for both phases). Default: the OS temp folder. */
  readonly dir?: string;
}

const body = 'x'.repeat(600);
const bodyRef = { kind: 'inline', encoding: 'utf8', content: body, size: body.length, sha256: 'a'.repeat(64) } as const;

/** A ~1 KB MessageReceived, as a receive handler writes one per message. */
function received(): { stream: string; event: NewEvent } {
  const messageId = newMessageId();
  const event = makeEvent(
    'MessageReceived',
    {
      messageId,
      receiveLocation: 'orders-in',
      adapter: 'nats',
      sourceKey: messageId,
      contentType: 'application/json',
      body: bodyRef,
      context: {
        promoted: { 'BTS.ReceivePortName': 'orders', 'NATS.Subject': 'orders.in' },
        written: { 'NATS.Sequence': 1 },
      },
      routing: { sendPorts: ['orders-out'], subscriptions: ['orders-to-out'] },
    },
    { actor: 'worker:bench' },
  );
  return { stream: `message-${messageId}`, event };
}

/**
 * Plain better-sqlite3: the same rows, `synchronous=FULL`, `batch` rows per transaction. Each row
 * is built exactly as the port phase builds its event (fresh ids, serialised), so the ratio
 * isolates the store's own work: validation, revision checks, the stream index, group commit.
 */
export function rawInserts(file: string, seconds: number, batch: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE raw (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT, revision INTEGER, id TEXT,
           type TEXT, data TEXT, metadata TEXT, recorded_at INTEGER)`);
  const insert = db.prepare(
    'INSERT INTO raw (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const write = db.transaction(() => {
    const now = Date.now();
    for (let i = 0; i < batch; i++) {
      const { stream, event } = received();
      insert.run(stream, 0, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), now);
    }
  });
  let written = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    write();
    written += batch;
  }
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  return written / elapsed;
}

async function portAppends(file: string, seconds: number, concurrency: number): Promise<number> {
  const store = new SqliteEventStore(file);
  let written = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const { stream, event } = received();
        await store.append(stream, [event], 'no_stream');
        written++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await store.close();
  return written / elapsed;
}

export async function benchStore(options: StoreBenchOptions): Promise<Record<string, unknown>> {
  const concurrency = options.concurrency ?? 64;
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'signalbox-bench-store-'));
  try {
    progress(`raw better-sqlite3 inserts, ${concurrency} rows per transaction, ${options.seconds}s…`);
    const rawInsertsPerSec = rawInserts(join(dir, 'raw.db'), options.seconds, concurrency);
    progress(`EventStore appends from ${concurrency} concurrent callers (group commit), ${options.seconds}s…`);
    const appendsPerSec = await portAppends(join(dir, 'port.db'), options.seconds, concurrency);
    progress(`EventStore appends from one caller (one transaction each), ${options.seconds}s…`);
    const singleAppendsPerSec = await portAppends(join(dir, 'single.db'), options.seconds, 1);
    const result = {
      appendsPerSec: Math.round(appendsPerSec),
      rawInsertsPerSec: Math.round(rawInsertsPerSec),
      ratio: Number((appendsPerSec / rawInsertsPerSec).toFixed(3)),
      singleAppendsPerSec: Math.round(singleAppendsPerSec),
      concurrency,
      rawBatchSize: concurrency,
      eventBytes: JSON.stringify(received().event).length,
      synchronous: 'FULL',
      seconds: options.seconds,
    };
    report('store', result, options.json);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
