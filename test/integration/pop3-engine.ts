import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import { parseBindings } from '../../src/domain/config/index.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { HostRuntime } from '../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../src/workers/host-instance.js';
import { silentLogger } from '../../src/workers/logger.js';

export interface MailEngine {
  readonly store: SqliteEventStore;
  stop(): Promise<void>;
  events(prefix: string): Promise<RecordedEvent[]>;
}

/**
 * A whole host instance on real files (SQLite store, embedded queue, local blobs), as
 * `startTestEngine` makes one, with a secret resolver for the mail adapters' passwords.
 */
export async function startMailEngine(
  dir: string,
  bindings: unknown,
  secrets: SecretResolver,
  name = 'main',
  leaseTtlMs = 600,
): Promise<MailEngine> {
  mkdirSync(dir, { recursive: true });
  const store = new SqliteEventStore(join(dir, 'signalbox.db'));
  const blobs = await LocalBlobStore.open(join(dir, 'blobs'));
  const queue = new LocalWorkQueue(join(dir, 'work.db'), { ackWaitMs: 5_000 });
  const views = openViewDatabase(join(dir, `views-${name}.db`));
  const runtime = new HostRuntime({
    bindings: parseBindings(bindings),
    registry: defaultRegistry(),
    store,
    blobs,
    queue,
    views,
    secrets,
    identity: newInstanceIdentity('default'),
    logger: silentLogger,
    leaseTtlMs,
    ackWaitMs: 5_000,
  });
  runtime.start();
  return {
    store,
    async stop() {
      await runtime.stop();
      await queue.close();
      views.close();
      await store.close();
    },
    async events(prefix) {
      const out: RecordedEvent[] = [];
      for await (const event of store.readAll({ filter: { streamPrefixes: [prefix] } })) out.push(event);
      return out;
    },
  };
}
