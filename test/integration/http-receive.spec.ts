import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { messageIdFromSource } from '../../src/store/message-id.js';
import { freePort } from '../support/nats-server.js';
import { GatedStore } from '../support/gated-store.js';
import { staticSecrets } from '../support/secrets.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, writtenFiles } from './support/engine.js';
import { startHttpEngine, whenListening, type HttpTestEngine } from './http-support.js';

const root = tempDir('http-receive');
let engine: HttpTestEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});
afterAll(() => root.cleanup());

let n = 0;
async function setup(location: Record<string, unknown> = {}, extraLocations: Record<string, unknown>[] = []) {
  const dir = join(root.path, `case${++n}`);
  const outbox = join(dir, 'outbox');
  mkdirSync(outbox, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const bindings = {
    receiveLocations: [
      {
        name: 'orders-in',
        receivePort: 'orders',
        adapter: 'http',
        config: { listen: `127.0.0.1:${port}`, path: '/orders', ...location },
      },
      ...extraLocations.map((config, i) => ({
        name: `extra-${i}`,
        receivePort: `extra-${i}`,
        adapter: 'http',
        config: { listen: `127.0.0.1:${port}`, ...config },
      })),
    ],
    sendPorts: [
      {
        name: 'archive',
        adapter: 'file',
        config: { folder: outbox, fileName: '%MessageID%.bin' },
        filter: "BTS.ReceivePortName == 'orders' or BTS.ReceivePortName == 'extra-0'",
      },
    ],
  };
  return { dir, outbox, base, bindings };
}

async function post(url: string, body: string | Uint8Array | ReadableStream, headers: Record<string, string> = {}) {
  const init = { method: 'POST', body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) };
  const response = await fetch(url, init as RequestInit);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Blob files in the store's folder (temporary ones excluded). */
function blobFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(folder, entry.name));
      else if (/^[0-9a-f]{64}$/.test(entry.name)) out.push(entry.name);
    }
  };
  walk(join(dir, 'blobs'));
  return out;
}

describe('HTTP receive through the engine', () => {
  it('answers 202 with the message id, stores the body and the context, never a credential header', async () => {
    const s = await setup({ promoteHeaders: ['X-Order-Id', 'x-region'] });
    engine = await startHttpEngine(s.dir, s.bindings);
    await whenListening(`${s.base}/orders`);
    const answer = await post(`${s.base}/orders?source=shop`, '{"id":7}', {
      'content-type': 'application/json',
      'x-order-id': 'A-7',
      'x-region': 'eu',
      'x-other': 'not selected',
      authorization: 'Bearer secret-token-value',
      cookie: 'session=secret-cookie-value',
    });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'received' });
    const messageId = answer.json.messageId as string;
    const [received] = await engine.store.readStream(`message-${messageId}`);
    expect(received?.type).toBe('MessageReceived');
    const data = received!.data as {
      context: { promoted: Record<string, unknown>; written: Record<string, unknown> };
      contentType: string;
    };
    expect(data.contentType).toBe('application/json');
    expect(data.context.promoted).toMatchObject({
      'HTTP.Method': 'POST',
      'HTTP.Path': '/orders',
      'HTTP.ContentType': 'application/json',
      'HTTP.Header.x-order-id': 'A-7',
      'HTTP.Header.x-region': 'eu',
      'BTS.ReceiveLocationName': 'orders-in',
    });
    expect(data.context.written).toMatchObject({ 'HTTP.Query': 'source=shop', 'HTTP.RemoteAddress': '127.0.0.1' });
    expect(data.context.promoted['HTTP.Header.x-other']).toBeUndefined();
    const everything = JSON.stringify(await engine.messageEvents(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    expect(everything).not.toContain('secret-token-value');
    expect(everything).not.toContain('secret-cookie-value');
    const file = await eventually(() => writtenFiles(s.outbox)[0]);
    expect(file).toBe(`${messageId}.bin`);
    expect(readFileSync(join(s.outbox, file), 'utf8')).toBe('{"id":7}');
  });

  it('refuses a configuration that would store a credential header, naming the field', async () => {
    const s = await setup({ promoteHeaders: ['x-a', 'Authorization'] });
    await expect(startHttpEngine(s.dir, s.bindings)).rejects.toThrow(/receiveLocations\.0\.config\.promoteHeaders\.1/);
  });

  it('takes an Idempotency-Key as the source key: the same key twice gives the same id and one receipt', async () => {
    const s = await setup();
    engine = await startHttpEngine(s.dir, s.bindings);
    await whenListening(`${s.base}/orders`);
    const first = await post(`${s.base}/orders`, 'one', { 'idempotency-key': 'order-42' });
    const second = await post(`${s.base}/orders`, 'one again', { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ messageId: first.json.messageId, status: 'duplicate' });
    expect(first.json.messageId).toBe(messageIdFromSource('orders-in', 'idempotency-key:order-42'));
    const other = await post(`${s.base}/orders`, 'two', { 'idempotency-key': 'order-43' });
    expect(other.json.messageId).not.toBe(first.json.messageId);
    const receipts = (await engine.messageEvents()).filter((e) => e.type === 'MessageReceived');
    expect(receipts).toHaveLength(2);
    const bad = await post(`${s.base}/orders`, 'x', { 'idempotency-key': 'é' });
    expect(bad.status).toBe(400);
  });

  it('streams a large body to the blob store', async () => {
    const s = await setup({ maxBodyBytes: 32 * 1024 * 1024 });
    engine = await startHttpEngine(s.dir, s.bindings);
    await whenListening(`${s.base}/orders`);
    const size = 12 * 1024 * 1024;
    let sent = 0;
    // A chunked upload the server cannot size in advance.
    const stream = Readable.toWeb(
      Readable.from(
        (function* () {
          while (sent < size) {
            const chunk = Buffer.alloc(Math.min(256 * 1024, size - sent), sent % 251);
            sent += chunk.length;
            yield chunk;
          }
        })(),
      ),
    ) as ReadableStream;
    const answer = await post(`${s.base}/orders`, stream, { 'content-type': 'application/octet-stream' });
    expect(answer.status).toBe(202);
    const [received] = await engine.store.readStream(`message-${answer.json.messageId as string}`);
    expect((received!.data as { body: { kind: string; size: number } }).body).toMatchObject({ kind: 'blob', size });
  });

  it('answers 413 past the limit, sized up front or found while streaming, and stores nothing', async () => {
    const s = await setup({ maxBodyBytes: 64 * 1024 });
    engine = await startHttpEngine(s.dir, s.bindings);
    await whenListening(`${s.base}/orders`);
    const declared = await post(`${s.base}/orders`, Buffer.alloc(200 * 1024, 1));
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: 'PAYLOAD_TOO_LARGE', limit: 64 * 1024 });
    const chunks = Readable.toWeb(
      Readable.from(Array.from({ length: 40 }, (_, i) => Buffer.alloc(8 * 1024, i))),
    ) as ReadableStream;
    const streamed = await post(`${s.base}/orders`, chunks);
    expect(streamed.status).toBe(413);
    expect(streamed.json).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    expect(await engine.messageEvents()).toEqual([]);
    expect(blobFiles(s.dir)).toEqual([]);
    // The listener is still fine for the next, small request.
    expect((await post(`${s.base}/orders`, 'small')).status).toBe(202);
  });

  it('answers 202 with the id of a message that is stored but suspended', async () => {
    const s = await setup({}, [{ path: '/nobody' }]);
    const bindings = { ...s.bindings, sendPorts: [] };
    engine = await startHttpEngine(s.dir, bindings);
    await whenListening(`${s.base}/orders`);
    const answer = await post(`${s.base}/orders`, 'nobody wants me');
    expect(answer.status).toBe(202);
    expect(answer.json.status).toBe('suspended');
    expect(answer.json.reason).toMatch(/no subscription/);
    const events = await engine.store.readStream(`message-${answer.json.messageId as string}`);
    expect(events.map((e) => e.type)).toEqual(['MessageReceived', 'MessageUnroutable', 'MessageSuspended']);
  });

  it('shares one listener between locations, told apart by path; unknown paths and methods are refused', async () => {
    const s = await setup({}, [{ path: '/invoices' }]);
    engine = await startHttpEngine(s.dir, s.bindings);
    await whenListening(`${s.base}/orders`);
    const order = await post(`${s.base}/orders`, 'o');
    const invoice = await post(`${s.base}/invoices`, 'i');
    expect([order.status, invoice.status]).toEqual([202, 202]);
    const [o] = await engine.store.readStream(`message-${order.json.messageId as string}`);
    const [i] = await engine.store.readStream(`message-${invoice.json.messageId as string}`);
    expect((o!.data as { receiveLocation: string }).receiveLocation).toBe('orders-in');
    expect((i!.data as { receiveLocation: string }).receiveLocation).toBe('extra-0');
    expect((await post(`${s.base}/elsewhere`, 'x')).status).toBe(404);
    const get = await fetch(`${s.base}/orders`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers 503 when the store fails, records nothing, and takes the same request when sent again', async () => {
    const s = await setup();
    let gated: GatedStore | undefined;
    const stream = `message-${messageIdFromSource('orders-in', 'idempotency-key:retry-me')}`;
    engine = await startHttpEngine(s.dir, s.bindings, {
      wrapStore: (store) => (gated = new GatedStore(store, stream)),
    });
    await whenListening(`${s.base}/orders`);
    gated!.inject('fail', { every: true });
    const failed = await post(`${s.base}/orders`, 'important', { 'idempotency-key': 'retry-me' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(failed.json).toMatchObject({ error: 'STORE_UNAVAILABLE' });
    expect(await engine.store.readStream(stream)).toEqual([]);
    gated!.open();
    const again = await post(`${s.base}/orders`, 'important', { 'idempotency-key': 'retry-me' });
    expect(again.status).toBe(202);
    expect(`message-${again.json.messageId as string}`).toBe(stream);
    expect((await engine.store.readStream(stream))[0]?.type).toBe('MessageReceived');
  });

  describe('authentication', () => {
    const secrets = staticSecrets({ 'orders-password': 'p4ss-w0rd', 'orders-token': 't0ken-value' });

    it('basic: a wrong or missing credential is 401 with a challenge; the right one is taken', async () => {
      const s = await setup({ auth: { type: 'basic', username: 'shop', password: { secret: 'orders-password' } } });
      engine = await startHttpEngine(s.dir, s.bindings, { secrets });
      await whenListening(`${s.base}/orders`);
      const basic = (user: string, password: string) =>
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const none = await post(`${s.base}/orders`, 'x');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await post(`${s.base}/orders`, 'x', { authorization: basic('shop', 'wrong') })).status).toBe(401);
      expect((await post(`${s.base}/orders`, 'x', { authorization: basic('other', 'p4ss-w0rd') })).status).toBe(401);
      expect((await post(`${s.base}/orders`, 'x', { authorization: 'Bearer p4ss-w0rd' })).status).toBe(401);
      const ok = await post(`${s.base}/orders`, 'x', { authorization: basic('shop', 'p4ss-w0rd') });
      expect(ok.status).toBe(202);
      expect((await engine.messageEvents()).filter((e) => e.type === 'MessageReceived')).toHaveLength(1);
    });

    it('bearer: only the token from the secret is taken', async () => {
      const s = await setup({ auth: { type: 'bearer', token: { secret: 'orders-token' } } });
      engine = await startHttpEngine(s.dir, s.bindings, { secrets });
      await whenListening(`${s.base}/orders`);
      expect((await post(`${s.base}/orders`, 'x', { authorization: 'Bearer nope' })).status).toBe(401);
      expect((await post(`${s.base}/orders`, 'x', { authorization: 'Bearer t0ken-value' })).status).toBe(202);
    });

    it('refuses a plain-text credential in the configuration', async () => {
      const s = await setup({ auth: { type: 'bearer', token: 'plain' } });
      await expect(startHttpEngine(s.dir, s.bindings)).rejects.toThrow(/receiveLocations\.0\.config\.auth\.token/);
    });
  });
});
