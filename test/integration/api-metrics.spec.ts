import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { tempDir } from '../support/temp-dir.js';
import { apiBindings, apiFolders, startApiEngine, type ApiTestEngine } from './api-support.js';
import { eventually, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('api-metrics');
const dir = join(root.path, 'engine');
const { inbox, badbox, outbox } = apiFolders(dir);

let api: ApiTestEngine | undefined;
let engine: TestEngine;
let app: FastifyInstance;
let token: string;

/** The value of one sample of the metrics text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return r.body;
}

beforeAll(async () => {
  // retry count 1: the broken port's sends fail twice, then are suspended.
  // The API starts before any message: its counters count what happens from here on.
  api = await startApiEngine(dir, apiBindings(dir, 1));
  ({ engine, app, admin: token } = api);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  root.cleanup();
});

describe('Prometheus metrics derived from the event store, while a real engine works', () => {
  it('counts received, sent, failed and suspended per port, and the receipt-to-sent latency', async () => {
    const before = await scrape();
    expect(sample(before, 'signalbox_messages_received_total', { location: 'inbox' })).toBeUndefined();
    for (let i = 1; i <= 3; i++) writeFileSync(join(inbox, `order-${i}.txt`), `order ${i}`);
    writeFileSync(join(badbox, 'reject.txt'), 'nobody can take me');

    const text = await eventually(async () => {
      const t = await scrape();
      return sample(t, 'signalbox_messages_sent_total', { port: 'outbox' }) === 3 &&
        sample(t, 'signalbox_messages_sent_total', { port: 'journal' }) === 3 &&
        sample(t, 'signalbox_messages_suspended_total', { port: 'broken' }) === 1
        ? t
        : undefined;
    }, 30_000);
    expect(writtenFiles(outbox).filter((f) => f.startsWith('order-'))).toHaveLength(3);
    expect(sample(text, 'signalbox_messages_received_total', { location: 'inbox' })).toBe(3);
    expect(sample(text, 'signalbox_messages_received_total', { location: 'badbox' })).toBe(1);
    // retry count 1: the first attempt and one retry fail, then the send is suspended
    expect(sample(text, 'signalbox_send_failures_total', { port: 'broken' })).toBe(2);
    expect(sample(text, 'signalbox_send_failures_total', { port: 'outbox' })).toBeUndefined();
    expect(sample(text, 'signalbox_send_latency_seconds_count', { port: 'outbox' })).toBe(3);
    expect(sample(text, 'signalbox_send_latency_seconds_sum', { port: 'outbox' })).toBeGreaterThan(0);
    expect(sample(text, 'signalbox_send_latency_seconds_bucket', { port: 'outbox', le: '+Inf' })).toBe(3);
  });

  it('shows each lease with its holder and term, and each operator view’s lag', async () => {
    const text = await eventually(async () => {
      const t = await scrape();
      return sample(t, 'signalbox_lease_term', { resource: 'port-journal' }) !== undefined && t;
    });
    expect(sample(text, 'signalbox_lease_term', { resource: 'port-journal' })).toBeGreaterThanOrEqual(1);
    const held = text.split('\n').find((l) => l.startsWith('signalbox_lease_held{resource="port-journal"'));
    expect(held).toMatch(/holder="[^"]+"\} 1$/);
    for (const view of ['tracking', 'suspended', 'leases', 'audit-log']) {
      expect(sample(text, 'signalbox_projection_lag_events', { view })).toBeGreaterThanOrEqual(0);
    }
  });

  it('with metricsTokenFree off, /metrics needs a token', async () => {
    const guarded = await buildApi({
      store: engine.store,
      blobs: await LocalBlobStore.open(join(dir, 'blobs')),
      dataDir: dir,
      feedViews: false,
      metricsTokenFree: false,
      log: false,
    });
    try {
      expect((await guarded.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const scraped = await guarded.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toContain('signalbox_projection_lag_events');
    } finally {
      await guarded.close();
    }
  });

  it('streams a large body from the blob store, byte for byte', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(inbox, 'big.bin'), big);
    await eventually(() => writtenFiles(outbox).includes('big.bin'), 30_000);
    const headers = { authorization: `Bearer ${token}` };
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/messages?property=${encodeURIComponent('FILE.ReceivedFileName=big.bin')}`,
      headers,
    });
    const id = list.json<{ items: { messageId: string }[] }>().items[0]!.messageId;
    const detail = await app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers });
    expect(detail.json<{ body: object }>().body).toMatchObject({ storedIn: 'blob', size: big.length });
    const body = await app.inject({ method: 'GET', url: `/api/v1/messages/${id}/body`, headers });
    expect(body.statusCode).toBe(200);
    expect(body.rawPayload.length).toBe(big.length);
    expect(createHash('sha256').update(body.rawPayload).digest('hex')).toBe(
      createHash('sha256').update(big).digest('hex'),
    );
  });
});
