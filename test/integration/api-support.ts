import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/server.js';
import { TokenRegistry } from '../../src/api/tokens/token-registry.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { startTestEngine, type TestEngine } from './support/engine.js';

/*
 * What the HTTP API's integration tests share: a real engine on the File adapter (two receive
 * folders, two send ports that work and one whose folder is missing, so its sends fail and are
 * suspended), with the API built over its store and an admin token issued.
 */

export interface ApiFolders {
  readonly inbox: string;
  readonly badbox: string;
  readonly outbox: string;
  /** The folder of the `broken` send port: absent, and not created by the port. */
  readonly broken: string;
}

export function apiFolders(dir: string): ApiFolders {
  return {
    inbox: join(dir, 'inbox'),
    badbox: join(dir, 'badbox'),
    outbox: join(dir, 'outbox'),
    broken: join(dir, 'broken'),
  };
}

/** `inbox` feeds `outbox` and the ordered `journal`; `badbox` feeds `broken`, retried `brokenRetries` times. */
export function apiBindings(dir: string, brokenRetries: number) {
  const { inbox, badbox, outbox, broken } = apiFolders(dir);
  return {
    receiveLocations: [
      {
        name: 'inbox',
        receivePort: 'orders',
        adapter: 'file',
        config: { folder: inbox, mask: '*', pollIntervalMs: 50 },
      },
      {
        name: 'badbox',
        receivePort: 'rejects',
        adapter: 'file',
        config: { folder: badbox, mask: '*', pollIntervalMs: 50 },
      },
    ],
    sendPorts: [
      {
        name: 'outbox',
        adapter: 'file',
        config: { folder: outbox, fileName: '%SourceFileName%', createFolder: true },
        filter: "BTS.ReceivePortName == 'orders'",
      },
      {
        name: 'journal',
        adapter: 'file',
        config: { folder: outbox, fileName: 'journal.log', createFolder: true, ifExists: 'append' },
        filter: "BTS.ReceivePortName == 'orders'",
        ordered: { onFailure: 'stop' },
      },
      {
        name: 'broken',
        adapter: 'file',
        // The folder does not exist and may not be created: every send fails until it is made.
        config: { folder: broken, fileName: '%SourceFileName%', createFolder: false },
        filter: "BTS.ReceivePortName == 'rejects'",
        retry: { count: brokenRetries, intervalMs: 50 },
      },
    ],
  };
}

export interface ApiTestEngine {
  readonly engine: TestEngine;
  readonly app: FastifyInstance;
  /** A live admin token, named `root`. */
  readonly admin: string;
  stop(): Promise<void>;
}

/**
 * Starts the engine on `bindings` (operator views on) and builds the API over it. `api` runs
 * between the two, for what must exist before the API (recorded configuration, a secret store),
 * and adds to the API's options; the log is off unless it says otherwise.
 */
export async function startApiEngine(
  dir: string,
  bindings: unknown,
  api: (engine: TestEngine) => Promise<Partial<ApiOptions>> | Partial<ApiOptions> = () => ({}),
): Promise<ApiTestEngine> {
  const { inbox, badbox } = apiFolders(dir);
  mkdirSync(inbox, { recursive: true });
  mkdirSync(badbox, { recursive: true });
  const engine = await startTestEngine(dir, bindings, 'main', { operatorViews: true });
  const extra = await api(engine);
  const app = await buildApi({
    store: engine.store,
    blobs: await LocalBlobStore.open(join(dir, 'blobs')),
    dataDir: dir,
    feedViews: false,
    checkAnswers: true,
    log: false,
    ...extra,
  });
  const { token: admin } = await new TokenRegistry(engine.store).issue('root', 'admin', 'user:test');
  return {
    engine,
    app,
    admin,
    async stop() {
      await app.close();
      await engine.stop();
    },
  };
}
