import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import { parseBindings } from '../../src/domain/config/index.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { HostRuntime } from '../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../src/workers/host-instance.js';
import { silentLogger } from '../../src/workers/logger.js';

export interface RemoteFileEngine {
  readonly store: SqliteEventStore;
  readonly blobs: LocalBlobStore;
  /** This instance's id: the holder named in lease events. */
  readonly instance: string;
  stop(): Promise<void>;
  /** Every event whose stream starts with one of `prefixes`, in global order. */
  events(...prefixes: string[]): Promise<RecordedEvent[]>;
}

/**
 * A whole host instance on real files (SQLite store, embedded work queue, local blobs), as
 * `startTestEngine` makes one, with a secret resolver for the FTP password or the SSH key.
 */
export async function startRemoteFileEngine(
  dir: string,
  bindings: unknown,
  secrets: SecretResolver,
  options: { name?: string; leaseTtlMs?: number } = {},
): Promise<RemoteFileEngine> {
  const name = options.name ?? 'main';
  mkdirSync(dir, { recursive: true });
  const store = new SqliteEventStore(join(dir, 'signalbox.db'));
  const blobs = await LocalBlobStore.open(join(dir, 'blobs'));
  const queue = new LocalWorkQueue(join(dir, 'work.db'), { ackWaitMs: 5_000 });
  const views = openViewDatabase(join(dir, `views-${name}.db`));
  const identity = newInstanceIdentity('default');
  const runtime = new HostRuntime({
    bindings: parseBindings(bindings),
    registry: defaultRegistry(),
    store,
    blobs,
    queue,
    views,
    identity,
    logger: silentLogger,
    leaseTtlMs: options.leaseTtlMs ?? 600,
    ackWaitMs: 5_000,
    secrets,
  });
  runtime.start();
  return {
    store,
    blobs,
    instance: identity.instance,
    async stop() {
      await runtime.stop();
      await queue.close();
      views.close();
      await store.close();
    },
    async events(...prefixes) {
      const out: RecordedEvent[] = [];
      for await (const event of store.readAll({ filter: { streamPrefixes: prefixes } })) out.push(event);
      return out;
    },
  };
}
