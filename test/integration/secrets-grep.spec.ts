import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdapterDefinition } from '../../src/adapters/adapter.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import { credentialSchema, parseBindings } from '../../src/domain/config/index.js';
import { operatorProjections, operatorViewsFile } from '../../src/projections/operator-views.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { EventFilter, EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { HostRuntime } from '../../src/workers/host-runtime.js';
import { newInstanceIdentity } from '../../src/workers/host-instance.js';
import { recordBindings } from '../../src/workers/record-config.js';
import { SecretStore } from '../../src/workers/secrets/secret-store.js';
import { eventually, writtenFiles } from './support/engine.js';
import { tempDir } from '../support/temp-dir.js';

const root = tempDir('secrets-grep');
afterAll(() => root.cleanup());
const apiSource = fileURLToPath(new URL('../../src/api/server.ts', import.meta.url));

/** Canary values: random, so finding one anywhere can only be a leak. */
const VALUE = `canary-${randomBytes(16).toString('hex')}`;
const API_VALUE = `canary-api-${randomBytes(16).toString('hex')}`;
const NAME = 'partner-password';

/**
 * A send adapter that exists only in this test: it reveals its password on connect and proves it
 * got the right value by writing an HMAC of the body keyed with it, never the value itself.
 */
const revealing: AdapterDefinition<never, { folder: string; password: { secret: string } }> = {
  name: 'revealing',
  description: 'test only: writes HMAC(password, body)',
  send: {
    config: z.object({ folder: z.string(), password: credentialSchema }),
    create(config, port) {
      return {
        async send(message) {
          const password = await port.secrets.reveal(config.password);
          const mac = createHmac('sha256', password)
            .update(await message.readBody())
            .digest('hex');
          writeFileSync(join(config.folder, message.messageId), mac);
          return { address: config.folder };
        },
        close: () => Promise.resolve(),
      };
    },
  },
};

async function firstEvent(store: EventStore, filter: EventFilter): Promise<RecordedEvent | undefined> {
  for await (const event of store.readAll({ filter, maxCount: 1 })) return event;
  return undefined;
}

/** Every encoding of a value a leak could take: as is, base64, hex. */
function needles(value: string | Buffer): Buffer[] {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return [bytes, Buffer.from(bytes.toString('base64')), Buffer.from(bytes.toString('hex'))];
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Where any of the needles occurs: `place` names each haystack. */
function findIn(haystacks: Map<string, Buffer>, values: readonly Buffer[]): string[] {
  const found: string[] = [];
  for (const [place, bytes] of haystacks) if (values.some((v) => bytes.includes(v))) found.push(place);
  return found;
}

describe('a secret value is found nowhere: not in the store file, the views, the logs, or any API answer', () => {
  it('runs a real engine whose adapter reveals the secret, rotates the master key, serves the API, then greps everything', async () => {
    const dir = root.path;
    const inbox = join(dir, 'inbox');
    const outbox = join(dir, 'outbox');
    mkdirSync(inbox);
    mkdirSync(outbox);
    const logFile = join(dir, 'logs', 'engine.jsonl');
    mkdirSync(join(dir, 'logs'));
    const logger = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }));
    const apiLogFile = join(dir, 'logs', 'api.jsonl');

    const store = new SqliteEventStore(join(dir, 'signalbox.db'));
    const secrets = await SecretStore.open({ store, dataDir: dir, env: {} });
    await secrets.set(NAME, VALUE, 'user:test');
    const firstKey = readFileSync(join(dir, 'master.key'), 'utf8').trim();

    const registry = defaultRegistry().register(revealing);
    const bindings = parseBindings({
      receiveLocations: [
        { name: 'in', receivePort: 'orders', adapter: 'file', config: { folder: inbox, pollIntervalMs: 100 } },
      ],
      sendPorts: [
        {
          name: 'partner',
          adapter: 'revealing',
          config: { folder: outbox, password: { secret: NAME } },
          filter: "BTS.ReceivePortName == 'orders'",
        },
        {
          // A reference to a secret never set: its failure is logged and recorded, naming only the name.
          name: 'unset',
          adapter: 'revealing',
          config: { folder: outbox, password: { secret: 'never-set' } },
          filter: "BTS.ReceivePortName == 'orders'",
          retry: { count: 0, intervalMs: 100 },
        },
      ],
    });
    await recordBindings(store, bindings, 'user:test');
    const blobs = await LocalBlobStore.open(join(dir, 'blobs'));
    const queue = new LocalWorkQueue(join(dir, 'work.db'), { ackWaitMs: 5_000 });
    const views = openViewDatabase(join(dir, 'views-main.db'));
    const operatorViews = openViewDatabase(operatorViewsFile(dir));
    const runtime = new HostRuntime({
      bindings,
      registry,
      store,
      blobs,
      queue,
      views,
      operatorViews: { db: operatorViews, projections: operatorProjections },
      identity: newInstanceIdentity('default'),
      logger,
      leaseTtlMs: 600,
      ackWaitMs: 5_000,
      secrets: secrets.resolver(),
    });
    runtime.start();
    const answers = new Map<string, Buffer>();
    try {
      const expectSent = async (file: string, body: string) => {
        writeFileSync(join(inbox, file), body);
        const macs = await eventually(() => {
          const out = writtenFiles(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
          const mac = createHmac('sha256', VALUE).update(body).digest('hex');
          return out.includes(mac) ? out : undefined;
        }, 60_000);
        expect(macs).toContain(createHmac('sha256', VALUE).update(body).digest('hex'));
      };
      await expectSent('a.xml', '<order id="1"/>');
      // A rotation while the engine runs: its resolver follows the new key file.
      const rotator = await SecretStore.open({ store, dataDir: dir, env: {} });
      expect((await rotator.rotateMaster('user:test')).reencrypted).toBe(1);
      await expectSent('b.xml', '<order id="2"/>');
      // The port whose secret was never set suspends its sends, with a reason naming the secret.
      await eventually(
        async () => (await firstEvent(store, { eventTypes: ['MessageSuspended'] })) !== undefined,
        60_000,
      );
      if (existsSync(apiSource)) {
        // Imported only when the API exists in this build.
        const { buildApi } = await import('../../src/api/server.js');
        const { TokenRegistry } = await import('../../src/api/tokens/token-registry.js');
        const { token } = await new TokenRegistry(store).issue('grep', 'admin', 'user:test');
        const app = await buildApi({
          store,
          blobs,
          dataDir: dir,
          registry,
          log: { level: 'debug', stream: pino.destination({ dest: apiLogFile, sync: true }) },
        });
        try {
          const auth = { authorization: `Bearer ${token}` };
          const put = await app.inject({
            method: 'PUT',
            url: '/api/v1/secrets/api-set',
            headers: auth,
            payload: { value: API_VALUE },
          });
          expect(put.statusCode).toBe(200);
          answers.set('PUT /api/v1/secrets/api-set', put.rawPayload);
          const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
            paths: Record<string, Record<string, unknown>>;
          }>();
          const messageId = (await firstEvent(store, { streamPrefixes: ['message-'] }))!.streamId.slice(8);
          const gets = Object.entries(openapi.paths)
            .filter(([, methods]) => 'get' in methods)
            .map(([path]) =>
              path
                .replace('{id}', messageId)
                .replace('{resource}', 'dispatcher')
                .replace(/\{[^}]+\}/g, 'x'),
            );
          expect(gets).toEqual(expect.arrayContaining(['/api/v1/config', '/api/v1/audit', '/api/v1/secrets']));
          for (const url of [...gets, '/openapi.json', '/metrics']) {
            const answer = await app.inject({ method: 'GET', url, headers: auth });
            answers.set(`GET ${url} (${answer.statusCode})`, answer.rawPayload);
          }
          expect(answers.get(`GET /api/v1/secrets (200)`)?.toString()).toContain(NAME);
        } finally {
          await app.close();
        }
      }
    } finally {
      await runtime.stop();
      await queue.close();
      views.close();
      operatorViews.close();
      await store.close();
    }

    const haystacks = new Map<string, Buffer>(answers);
    for (const file of filesUnder(dir)) haystacks.set(relative(dir, file), readFileSync(file));
    const storeFiles = [...haystacks.keys()].filter((k) => k.startsWith('signalbox.db'));
    expect(storeFiles).toContain('signalbox.db');
    expect([...haystacks.keys()]).toEqual(expect.arrayContaining(['views.db', 'logs/engine.jsonl']));
    // The search sees what is there: the secret's name is in the store, and a planted value is found.
    expect(findIn(haystacks, [Buffer.from(NAME)])).toEqual(expect.arrayContaining(['signalbox.db']));
    expect(
      findIn(new Map([['planted', Buffer.from(`x${Buffer.from(VALUE).toString('base64')}x`)]]), needles(VALUE)),
    ).toEqual(['planted']);
    expect(findIn(haystacks, [Buffer.from('never-set')])).toContain('signalbox.db'); // the suspension's reason
    expect(readFileSync(logFile, 'utf8')).toContain('dispatcher view caught up');
    if (existsSync(apiSource)) {
      expect(findIn(haystacks, [Buffer.from('api-set')])).toEqual(expect.arrayContaining(['logs/api.jsonl']));
      // Real answers were searched, not refusals.
      const ok = [...answers.keys()].filter((k) => k.endsWith('(200)'));
      expect(ok.length).toBeGreaterThanOrEqual(10);
    }

    expect(findIn(haystacks, [...needles(VALUE), ...needles(API_VALUE)])).toEqual([]);
    // Nor is either master key, outside its own key file.
    const keys = [firstKey, readFileSync(join(dir, 'master.key'), 'utf8').trim()].flatMap((k) => [
      Buffer.from(k),
      Buffer.from(k, 'base64'),
      Buffer.from(Buffer.from(k, 'base64').toString('hex')),
    ]);
    const withoutKeyFiles = new Map([...haystacks].filter(([place]) => !place.startsWith('master.key')));
    expect(findIn(withoutKeyFiles, keys)).toEqual([]);
  }, 400_000);
});
