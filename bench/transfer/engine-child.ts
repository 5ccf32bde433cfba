// The engine of `bench transfer`, in its own process so that its peak RSS is its own: one host
// instance on the data folder and bindings given; credentials come in the environment.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { noSecrets } from '../../src/adapters/secrets.js';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import { parseBindings } from '../../src/domain/config/index.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { HostRuntime } from '../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../src/workers/host-instance.js';
import { silentLogger } from '../../src/workers/logger.js';

const [dir, bindingsFile] = process.argv.slice(2);
const values = JSON.parse(process.env.SIGNALBOX_BENCH_SECRETS ?? '{}') as Record<string, string>;
const secrets: SecretResolver = {
  reveal: (ref) => (ref.secret in values ? Promise.resolve(values[ref.secret]!) : noSecrets.reveal(ref)),
};
mkdirSync(dir!, { recursive: true });
const runtime = new HostRuntime({
  bindings: parseBindings(JSON.parse(bindingsFile!)),
  registry: defaultRegistry(),
  store: new SqliteEventStore(join(dir!, 'signalbox.db')),
  blobs: await LocalBlobStore.open(join(dir!, 'blobs')),
  queue: new LocalWorkQueue(join(dir!, 'work.db')),
  views: openViewDatabase(join(dir!, 'views-bench.db')),
  identity: newInstanceIdentity('default'),
  logger: silentLogger,
  secrets,
});
runtime.start();
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
