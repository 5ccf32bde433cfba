import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry } from '../adapters/index.js';
import { LocalWorkQueue } from '../bus/local/index.js';
import { NatsWorkQueue } from '../bus/nats/index.js';
import type { WorkQueue } from '../bus/work-queue.js';
import type { Bindings } from '../domain/config/index.js';
import { operatorProjections, operatorViewsFile } from '../projections/operator-views.js';
import { openViewDatabase } from '../projections/view-database.js';
import { openBlobStore, type BlobStoreKind } from '../store/blob/open-blob-store.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { EventStore } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { HostRuntime } from '../workers/host-runtime.js';
import { ConfigFollowingRuntime } from '../workers/config/following-runtime.js';
import { SecretStore } from '../workers/secrets/secret-store.js';
import { recordBindings } from '../workers/record-config.js';
import { DEFAULT_HEARTBEAT_MS, startHeartbeat } from '../workers/host-heartbeat.js';
import {
  newInstanceIdentity,
  recordStarted,
  recordStopped,
  type HostInstanceIdentity,
} from '../workers/host-instance.js';
import type { Logger } from '../workers/logger.js';

export interface EngineOptions {
  /** Folder for the embedded store, the work queue, views and blobs. */
  readonly dataDir: string;
  /** Event store location; default the SQLite file `<data>/signalbox.db`. */
  readonly store?: string;
  /** NATS servers for the work queue; default the embedded queue `<data>/work.db`. */
  readonly nats?: string;
  /** Stream replicas of the NATS work queue and object store: 1 on one server, 3 on a cluster. */
  readonly natsReplicas?: number;
  /** Where large bodies go: `local` (`<data>/blobs`, the default) or `nats` (the object store). */
  readonly blobs?: BlobStoreKind;
  readonly host: string;
  /**
   * This instance's name on its machine: its views live in `<data>/views-<name>.db`, so two
   * instances sharing a data folder need different names.
   */
  readonly name: string;
  readonly bindings: Bindings;
  readonly logger: Logger;
  readonly sendConcurrency?: number;
  /** Keep the operator views (tracking, suspended, …) of `<data>/views.db` up to date. */
  readonly operatorViews?: boolean;
  /** Who brought this configuration: the actor of the configuration events it records. */
  readonly configActor?: string;
  /** How often the instance records that it is alive (`HostInstanceAlive`); default 10 s. */
  readonly heartbeatMs?: number;
}

export interface Engine {
  readonly identity: HostInstanceIdentity;
  /** The engine's own store, blobs and secrets, for an API served beside it (closed by `stop`). */
  readonly store: EventStore;
  readonly blobs: BlobStore;
  readonly secrets: SecretStore;
  stop(reason: string): Promise<void>;
}

/** Opens what a host instance needs and starts it; `stop` undoes it in reverse order. */
export async function startEngine(options: EngineOptions): Promise<Engine> {
  mkdirSync(options.dataDir, { recursive: true });
  const store = await openStore(options.store ?? join(options.dataDir, 'signalbox.db'));
  const replicas = options.natsReplicas === undefined ? {} : { replicas: options.natsReplicas };
  const blobStore = await openBlobStore({
    kind: options.blobs ?? 'local',
    dataDir: options.dataDir,
    ...(options.nats === undefined ? {} : { nats: options.nats }),
    ...replicas,
  });
  const blobs = blobStore.store;
  const queue: WorkQueue = options.nats
    ? await NatsWorkQueue.connect({ servers: options.nats, ...replicas })
    : new LocalWorkQueue(join(options.dataDir, 'work.db'));
  const identity = newInstanceIdentity(options.host);
  // Views belong to this instance: each keeps its own, fed from the store.
  const views = openViewDatabase(join(options.dataDir, `views-${options.name}.db`));
  const operatorViews = options.operatorViews ? openViewDatabase(operatorViewsFile(options.dataDir)) : undefined;
  const secretStore = await SecretStore.open({ store, dataDir: options.dataDir });
  const keyProblem = await secretStore.masterKeyProblem();
  if (keyProblem) options.logger.error({ code: 'MASTER_KEY_MISMATCH' }, keyProblem);
  // Follows the configuration events: an import while it runs is taken up (docs/configuration.md).
  const runtime = new ConfigFollowingRuntime(options.bindings, {
    store,
    logger: options.logger,
    create: (bindings) =>
      new HostRuntime({
        bindings,
        registry: defaultRegistry(),
        store,
        blobs,
        queue,
        views,
        ...(operatorViews ? { operatorViews: { db: operatorViews, projections: operatorProjections } } : {}),
        identity,
        logger: options.logger,
        ...(options.sendConcurrency === undefined ? {} : { sendConcurrency: options.sendConcurrency }),
        secrets: secretStore.resolver(),
      }),
  });
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  await recordStarted(store, identity, process.env.npm_package_version ?? '0.1.0', heartbeatMs);
  const heartbeat = await startHeartbeat(store, identity, heartbeatMs, options.logger);
  try {
    const config = await recordBindings(store, options.bindings, options.configActor ?? `host:${identity.instance}`);
    if (config.changed.length > 0) options.logger.info({ changed: config.changed }, 'configuration recorded');
    await runtime.start();
  } catch (error) {
    // An instance that failed to start must not go on looking alive.
    await heartbeat.stop();
    throw error;
  }
  return {
    identity,
    store,
    blobs,
    secrets: secretStore,
    async stop(reason) {
      await runtime.stop();
      await heartbeat.stop();
      await recordStopped(store, identity, reason);
      await queue.close();
      await blobStore.close();
      views.close();
      operatorViews?.close();
      await store.close();
    },
  };
}
