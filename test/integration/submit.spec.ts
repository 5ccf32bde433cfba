import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSubscriptions } from '../../src/domain/routing/route.js';
import { compilePipeline } from '../../src/pipeline/pipeline.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { createSubmit } from '../../src/workers/receiver/submit.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('submit');
let store: SqliteEventStore;
let blobs: LocalBlobStore;
beforeAll(async () => {
  store = new SqliteEventStore(join(dir.path, 'events.db'));
  blobs = await LocalBlobStore.open(join(dir.path, 'blobs'));
});
afterAll(async () => {
  await store.close();
  dir.cleanup();
});

const routing = () => ({
  subscriptions: compileSubscriptions([
    { name: 'all', sendPort: 'out', filter: 'BTS.ReceivePortName exists', enabled: true },
  ]),
  enabledPorts: new Set(['out']),
});

describe('receive: idempotent receipt and claim check', () => {
  it('a source message delivered twice (same natural key) is received once', async () => {
    const submit = createSubmit({
      store,
      blobs,
      location: { name: 'mq-in', receivePort: 'p', adapter: 'mq' },
      routing,
      actor: 'test',
    });
    const first = await submit({ sourceKey: 'AMQ QM1 0001', body: Buffer.from('hello') });
    const again = await submit({ sourceKey: 'AMQ QM1 0001', body: Buffer.from('hello') });
    expect(first.status).toBe('received');
    expect(again).toEqual({ status: 'duplicate', messageId: first.status === 'received' ? first.messageIds[0] : '' });
    const other = await submit({ sourceKey: 'AMQ QM1 0002', body: Buffer.from('hello') });
    expect(other.status).toBe('received');
  });

  it('two receivers racing with the same natural key: exactly one receives', async () => {
    const submit = createSubmit({
      store,
      blobs,
      location: { name: 'race-in', receivePort: 'p', adapter: 'nats' },
      routing,
      actor: 'test',
    });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => submit({ sourceKey: 'seq-77', body: Buffer.from('x') })),
    );
    expect(results.filter((r) => r.status === 'received')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(7);
  });

  it('a redelivered batch is a duplicate message by message', async () => {
    const submit = createSubmit({
      store,
      blobs,
      location: { name: 'batch-in', receivePort: 'p', adapter: 'file' },
      pipeline: compilePipeline([{ component: 'split', path: '' }]),
      routing,
      actor: 'test',
    });
    const body = Buffer.from(JSON.stringify([{ a: 1 }, { a: 2 }]));
    const first = await submit({ sourceKey: 'batch.json:2:1', body, contentType: 'application/json' });
    expect(first.status === 'received' && first.messageIds.length).toBe(2);
    expect((await submit({ sourceKey: 'batch.json:2:1', body, contentType: 'application/json' })).status).toBe(
      'duplicate',
    );
  });

  it('a large streamed body goes to the blob store; the event carries its sha256 (claim check)', async () => {
    const submit = createSubmit({
      store,
      blobs,
      location: { name: 'big-in', receivePort: 'p', adapter: 'file' },
      routing,
      actor: 'test',
      inlineLimitBytes: 1024,
    });
    const big = Buffer.alloc(256 * 1024, 7);
    const result = await submit({ body: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]) });
    const id = result.status === 'received' ? result.messageIds[0]! : '';
    const [event] = await store.readStream(`message-${id}`);
    const body = (event!.data as { body: { kind: string; sha256: string; size: number } }).body;
    expect(body).toMatchObject({ kind: 'blob', size: big.length });
    expect(await blobs.size(body.sha256)).toBe(big.length);
  });
});
