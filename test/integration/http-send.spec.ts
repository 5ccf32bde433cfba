import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendHandler } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { noSecrets } from '../../src/adapters/secrets.js';
import { outbound } from '../contract/adapter-support.js';
import { freePort } from '../support/nats-server.js';
import { staticSecrets } from '../support/secrets.js';
import { tempDir } from '../support/temp-dir.js';
import { selfSigned, startBackend, type Backend, type Certificate } from './http-support.js';

const root = tempDir('http-send');
const registry = defaultRegistry();
const handlers: SendHandler[] = [];
const backends: Backend[] = [];
let server: Certificate;
let client: Certificate;
beforeAll(() => {
  server = selfSigned(join(root.path, 'certs'), 'server');
  client = selfSigned(join(root.path, 'certs'), 'client');
});
afterEach(async () => {
  await Promise.all(handlers.splice(0).map((h) => h.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
afterAll(() => root.cleanup());

function sender(config: Record<string, unknown>, secrets: SecretResolver = noSecrets): SendHandler {
  const handler = registry
    .get('http')
    .send!.create(registry.sendConfig('http', config, 'config'), { name: 'partner', secrets });
  handlers.push(handler);
  return handler;
}

async function backend(tls?: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const b = await startBackend(tls);
  backends.push(b);
  return b;
}

const signal = () => new AbortController().signal;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('HTTP send handler against real servers', () => {
  it('streams the body with headers from context properties and a stable Idempotency-Key', async () => {
    const b = await backend();
    const handler = sender({
      url: `${b.url}/in?x=1`,
      method: 'PUT',
      headers: { 'X-Order-Id': 'APP.OrderId', 'X-Absent': 'APP.Nothing' },
      forwardHeaders: true,
    });
    const body = Buffer.alloc(300 * 1024, 7);
    const message = outbound(body, {
      messageId: 'm-1',
      port: 'partner',
      context: {
        promoted: { 'APP.OrderId': 'A-17', 'HTTP.Header.x-trace': 't-1', 'HTTP.Header.authorization': 'Bearer leaked' },
        written: { 'HTTP.Header.host': 'evil.example' },
      },
    });
    const outcome = await handler.send(message, signal());
    expect(outcome).toMatchObject({ address: `${b.url}/in?x=1`, properties: { status: 200 } });
    const [got] = b.received;
    expect(got!.method).toBe('PUT');
    expect(got!.url).toBe('/in?x=1');
    expect(got!.body.equals(body)).toBe(true);
    expect(got!.headers).toMatchObject({
      'x-order-id': 'A-17',
      'x-trace': 't-1',
      'idempotency-key': 'm-1:partner',
      'content-type': 'application/octet-stream',
      // The engine knows the size from the receipt: announced, not chunked, so servers that
      // refuse chunked uploads (411 Length Required) take it.
      'content-length': String(300 * 1024),
      host: b.url.replace('http://', ''),
    });
    expect(got!.headers['transfer-encoding']).toBeUndefined();
    expect(got!.headers.authorization).toBeUndefined();
    expect(got!.headers['x-absent']).toBeUndefined();
    // The same message sent again (a retry) carries the same key.
    await handler.send({ ...message, attempt: 2 }, signal());
    expect(b.received[1]!.headers['idempotency-key']).toBe('m-1:partner');
  });

  it('a body of unknown size goes chunked', async () => {
    const b = await backend();
    const body = Buffer.alloc(70 * 1024, 3);
    const { bodySize: _known, ...message } = outbound(body);
    await sender({ url: `${b.url}/in` }).send(message, signal());
    expect(b.received[0]!.body.equals(body)).toBe(true);
    expect(b.received[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(b.received[0]!.headers['content-length']).toBeUndefined();
  });

  it('maps statuses: 5xx, 429 and 408 are transient; other 4xx and 3xx are permanent, with the status', async () => {
    const b = await backend();
    const handler = sender({ url: `${b.url}/x` });
    const cases: [number, typeof TransientAdapterError | typeof PermanentAdapterError][] = [
      [503, TransientAdapterError],
      [500, TransientAdapterError],
      [429, TransientAdapterError],
      [408, TransientAdapterError],
      [404, PermanentAdapterError],
      [400, PermanentAdapterError],
      [301, PermanentAdapterError],
    ];
    for (const [status, kind] of cases) {
      b.answer = () => ({ status, body: `{"why":"because ${status}"}` });
      const error = await failure(handler.send(outbound(Buffer.from('x')), signal()));
      expect(error, `status ${status}`).toBeInstanceOf(kind);
      expect((error as { code: string }).code).toBe(`HTTP_STATUS_${status}`);
      expect((error as Error).message).toContain(`because ${status}`);
    }
  });

  it('reports a refused connection and a timeout as transient', async () => {
    const closed = sender({ url: `http://127.0.0.1:${await freePort()}/x`, timeoutMs: 2_000 });
    const refused = await failure(closed.send(outbound(Buffer.from('x')), signal()));
    expect(refused).toBeInstanceOf(TransientAdapterError);
    expect((refused as { code: string }).code).toBe('HTTP_CONNECT_FAILED');
    const b = await backend();
    b.answer = () => ({ status: 200, delayMs: 3_000 });
    const slow = sender({ url: `${b.url}/slow`, timeoutMs: 300 });
    const timedOut = await failure(slow.send(outbound(Buffer.from('x')), signal()));
    expect(timedOut).toBeInstanceOf(TransientAdapterError);
    expect((timedOut as { code: string }).code).toBe('HTTP_TIMEOUT');
  });

  it('sends basic and bearer credentials revealed from secrets', async () => {
    const b = await backend();
    const secrets = staticSecrets({ pw: 'se:cret', tok: 'abc.def' });
    await sender({ url: b.url, auth: { type: 'basic', username: 'shop', password: { secret: 'pw' } } }, secrets).send(
      outbound(Buffer.from('x')),
      signal(),
    );
    await sender({ url: b.url, auth: { type: 'bearer', token: { secret: 'tok' } } }, secrets).send(
      outbound(Buffer.from('x')),
      signal(),
    );
    expect(b.received.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('shop:se:cret').toString('base64')}`,
      'Bearer abc.def',
    ]);
    const missing = await failure(
      sender({ url: b.url, auth: { type: 'bearer', token: { secret: 'nope' } } }, secrets).send(
        outbound(Buffer.from('x')),
        signal(),
      ),
    );
    expect(missing).toBeInstanceOf(PermanentAdapterError);
  });

  it('refuses a header value with a line break instead of altering it', async () => {
    const b = await backend();
    const error = await failure(
      sender({ url: b.url, headers: { 'X-A': 'APP.A' } }).send(
        outbound(Buffer.from('x'), { context: { promoted: { 'APP.A': 'one\r\nInjected: yes' }, written: {} } }),
        signal(),
      ),
    );
    expect(error).toBeInstanceOf(PermanentAdapterError);
    expect((error as { code: string }).code).toBe('HTTP_HEADER_INVALID');
    expect(b.received).toEqual([]);
  });

  describe('TLS with certificates made by openssl', () => {
    it('trusts a self-signed server only when told to (ca or rejectUnauthorized: false)', async () => {
      const b = await backend({ cert: server.cert, key: server.key });
      const untrusted = await failure(sender({ url: b.url }).send(outbound(Buffer.from('x')), signal()));
      expect(untrusted).toBeInstanceOf(PermanentAdapterError);
      expect((untrusted as { code: string }).code).toBe('HTTP_TLS_FAILED');
      await sender({ url: b.url, tls: { ca: server.cert } }).send(outbound(Buffer.from('with ca')), signal());
      await sender({ url: b.url, tls: { rejectUnauthorized: false } }).send(
        outbound(Buffer.from('insecure')),
        signal(),
      );
      expect(b.received.map((r) => r.body.toString())).toEqual(['with ca', 'insecure']);
      const wrongCa = await failure(
        sender({ url: b.url, tls: { ca: client.cert } }).send(outbound(Buffer.from('x')), signal()),
      );
      expect((wrongCa as { code: string }).code).toBe('HTTP_TLS_FAILED');
    });

    it('presents a client certificate from secrets to a server that requires one', async () => {
      const b = await backend({
        cert: server.cert,
        key: server.key,
        ca: client.cert,
        requestCert: true,
        rejectUnauthorized: true,
      });
      const secrets = staticSecrets({ 'client-cert': client.cert, 'client-key': client.key });
      const config = {
        url: b.url,
        tls: { ca: server.cert, cert: { secret: 'client-cert' }, key: { secret: 'client-key' } },
      };
      await sender(config, secrets).send(outbound(Buffer.from('mutual')), signal());
      expect(b.received.map((r) => [r.body.toString(), r.peer])).toEqual([['mutual', 'client']]);
      const anonymous = await failure(
        sender({ url: b.url, tls: { ca: server.cert } }).send(outbound(Buffer.from('x')), signal()),
      );
      expect(anonymous).toBeInstanceOf(Error);
      expect(b.received).toHaveLength(1);
      expect(() => registry.sendConfig('http', { url: b.url, tls: { cert: { secret: 'c' } } }, 'config')).toThrow(
        /config\.tls\.key/,
      );
    });
  });

  it('solicit-response: a 2xx answer becomes the response, with its status, type and selected headers', async () => {
    const b = await backend();
    b.answer = () => ({
      status: 201,
      body: '{"price":42}',
      headers: { 'content-type': 'application/json', 'x-quote-id': 'q-9', 'set-cookie': 'a=b' },
    });
    const handler = sender({ url: b.url, solicitResponse: true, responseHeaders: ['X-Quote-Id'] });
    const outcome = await handler.send(outbound(Buffer.from('widget')), signal());
    expect(Buffer.from(outcome.response!.body as Uint8Array).toString()).toBe('{"price":42}');
    expect(outcome.response).toMatchObject({
      contentType: 'application/json',
      context: {
        promoted: { 'HTTP.ContentType': 'application/json', 'HTTP.Header.x-quote-id': 'q-9' },
        written: { 'HTTP.StatusCode': 201 },
      },
    });
    expect(JSON.stringify(outcome.response!.context)).not.toContain('a=b');
    b.answer = () => ({ status: 200, body: 'x'.repeat(2_000) });
    const small = sender({ url: b.url, solicitResponse: true, maxResponseBytes: 1_000 });
    const tooLarge = await failure(small.send(outbound(Buffer.from('x')), signal()));
    expect(tooLarge).toBeInstanceOf(PermanentAdapterError);
    expect((tooLarge as { code: string }).code).toBe('HTTP_RESPONSE_TOO_LARGE');
  });

  it('parses dynamic http:// and https:// addresses and refuses credentials in them', () => {
    const parse = registry.forAddress('https://127.0.0.1:8443/orders?x=1');
    expect(parse.adapter.name).toBe('http');
    expect(parse.config).toMatchObject({ url: 'https://127.0.0.1:8443/orders?x=1', method: 'POST' });
    expect(registry.forAddress('http://127.0.0.1/a').adapter.name).toBe('http');
    expect(() => registry.forAddress('http://user:pw@127.0.0.1/a')).toThrow(/credentials are secrets/);
  });
});
