import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../../../src/adapters/index.js';
import type { SecretResolver } from '../../../src/adapters/secrets.js';
import { LocalWorkQueue } from '../../../src/bus/local/index.js';
import { parseBindings } from '../../../src/domain/config/index.js';
import { operatorProjections, operatorViewsFile } from '../../../src/projections/operator-views.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { LocalBlobStore } from '../../../src/store/blob/local-blob-store.js';
import type { EventStore, RecordedEvent } from '../../../src/store/event-store.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { HostRuntime } from '../../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../../src/workers/host-instance.js';
import { silentLogger } from '../../../src/workers/logger.js';

export interface TestEngine<S extends EventStore = SqliteEventStore> {
  /** The store the runtime writes through: the SQLite store, or what `wrapStore` made of it. */
  readonly store: S;
  readonly blobs: LocalBlobStore;
  readonly runtime: HostRuntime;
  readonly dir: string;
  /** This instance's id: the holder named in lease events. */
  readonly instance: string;
  stop(): Promise<void>;
  /** Every event of every `message-` stream, in global order. */
  messageEvents(): Promise<RecordedEvent[]>;
  /** Every event whose stream starts with one of `prefixes`, in global order. */
  events(...prefixes: string[]): Promise<RecordedEvent[]>;
}

export interface TestEngineOptions<S extends EventStore = SqliteEventStore> {
  operatorViews?: boolean;
  sendConcurrency?: number;
  anchorEveryMs?: number;
  leaseTtlMs?: number;
  /** Resolves the `{ secret }` references in adapter configs (passwords, keys, tokens). */
  secrets?: SecretResolver;
  /** Puts a store of the test's own (one that fails on purpose) between the runtime and SQLite. */
  wrapStore?: (store: SqliteEventStore) => S;
}

/** A whole host instance on real files: SQLite store, embedded work queue, local blobs. */
export async function startTestEngine<S extends EventStore = SqliteEventStore>(
  dir: string,
  bindings: unknown,
  name = 'main',
  options: TestEngineOptions<S> = {},
): Promise<TestEngine<S>> {
  mkdirSync(dir, { recursive: true });
  const sqlite = new SqliteEventStore(join(dir, 'signalbox.db'));
  // Without wrapStore, S is its default, SqliteEventStore.
  const store = options.wrapStore ? options.wrapStore(sqlite) : (sqlite as EventStore as S);
  const blobs = await LocalBlobStore.open(join(dir, 'blobs'));
  const queue = new LocalWorkQueue(join(dir, 'work.db'), { ackWaitMs: 5_000 });
  const views = openViewDatabase(join(dir, `views-${name}.db`));
  const operatorViews = options.operatorViews ? openViewDatabase(operatorViewsFile(dir)) : undefined;
  const identity = newInstanceIdentity('default');
  const runtime = new HostRuntime({
    bindings: parseBindings(bindings),
    registry: defaultRegistry(),
    store,
    blobs,
    queue,
    views,
    ...(operatorViews ? { operatorViews: { db: operatorViews, projections: operatorProjections } } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    identity,
    logger: silentLogger,
    leaseTtlMs: options.leaseTtlMs ?? 600,
    ...(options.anchorEveryMs === undefined ? {} : { anchorEveryMs: options.anchorEveryMs }),
    ackWaitMs: 5_000,
    ...(options.sendConcurrency === undefined ? {} : { sendConcurrency: options.sendConcurrency }),
  });
  runtime.start();
  const events = async (...prefixes: string[]) => {
    const out: RecordedEvent[] = [];
    for await (const event of sqlite.readAll({ filter: { streamPrefixes: prefixes } })) out.push(event);
    return out;
  };
  return {
    store,
    blobs,
    runtime,
    dir,
    instance: identity.instance,
    async stop() {
      await runtime.stop();
      await queue.close();
      views.close();
      operatorViews?.close();
      await sqlite.close();
    },
    messageEvents: () => events('message-'),
    events,
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
