import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { LocalWorkQueue } from '../../../src/bus/local/index.js';
import { parseBindings } from '../../../src/domain/config/index.js';
import { operatorProjections, operatorViewsFile } from '../../../src/projections/operator-views.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { LocalBlobStore } from '../../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../../src/store/event-store.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { HostRuntime } from '../../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../../src/workers/host-instance.js';
import { silentLogger } from '../../../src/workers/logger.js';

export interface TestEngine {
  readonly store: SqliteEventStore;
  readonly runtime: HostRuntime;
  readonly dir: string;
  stop(): Promise<void>;
  /** Every event of every `message-` stream, in global order. */
  messageEvents(): Promise<RecordedEvent[]>;
}

/** A whole host instance on real files: SQLite store, embedded work queue, local blobs. */
export async function startTestEngine(
  dir: string,
  bindings: unknown,
  name = 'main',
  options: { operatorViews?: boolean; sendConcurrency?: number; anchorEveryMs?: number } = {},
): Promise<TestEngine> {
  mkdirSync(dir, { recursive: true });
  const store = new SqliteEventStore(join(dir, 'signalbox.db'));
  const blobs = await LocalBlobStore.open(join(dir, 'blobs'));
  const queue = new LocalWorkQueue(join(dir, 'work.db'), { ackWaitMs: 5_000 });
  const views = openViewDatabase(join(dir, `views-${name}.db`));
  const operatorViews = options.operatorViews ? openViewDatabase(operatorViewsFile(dir)) : undefined;
  const runtime = new HostRuntime({
    bindings: parseBindings(bindings),
    registry: defaultRegistry(),
    store,
    blobs,
    queue,
    views,
    ...(operatorViews ? { operatorViews: { db: operatorViews, projections: operatorProjections } } : {}),
    identity: newInstanceIdentity('default'),
    logger: silentLogger,
    leaseTtlMs: 600,
    ...(options.anchorEveryMs === undefined ? {} : { anchorEveryMs: options.anchorEveryMs }),
    ackWaitMs: 5_000,
    ...(options.sendConcurrency === undefined ? {} : { sendConcurrency: options.sendConcurrency }),
  });
  runtime.start();
  return {
    store,
    runtime,
    dir,
    async stop() {
      await runtime.stop();
      await queue.close();
      views.close();
      operatorViews?.close();
      await store.close();
    },
    async messageEvents() {
      const out: RecordedEvent[] = [];
      for await (const event of store.readAll({ filter: { streamPrefixes: ['message-'] } })) out.push(event);
      return out;
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The files a File send port has finished writing: it streams to `.sb-<hex>.sbtmp` first and
 * renames, so a listing taken mid-write must not count the temporary name.
 */
export function writtenFiles(folder: string): string[] {
  return readdirSync(folder).filter((name) => !(name.startsWith('.sb-') && name.endsWith('.sbtmp')));
}
