import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, writtenFiles } from './support/engine.js';
import { startBackend, startHttpEngine, whenListening, type Backend, type HttpTestEngine } from './http-support.js';

const root = tempDir('http-flow');
let engine: HttpTestEngine | undefined;
const backends: Backend[] = [];
let nats: NatsTestServer;
let natsClient: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer('http-flow');
  natsClient = await connect({ servers: nats.url });
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await natsClient?.close();
  await nats?.stop();
  root.cleanup();
});

let n = 0;
async function setup() {
  const dir = join(root.path, `case${++n}`);
  const inbox = join(dir, 'inbox');
  const replies = join(dir, 'replies');
  mkdirSync(inbox, { recursive: true });
  mkdirSync(replies, { recursive: true });
  const port = await freePort();
  const backend = await startBackend();
  backends.push(backend);
  return { dir, inbox, replies, port, base: `http://127.0.0.1:${port}`, backend };
}

type Events = Awaited<ReturnType<HttpTestEngine['messageEvents']>>;
const types = (events: Events) => events.map((e) => e.type);

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('HTTP through the engine', () => {
  it('a send port retries 503 and 429 per its policy, then sends', async () => {
    const s = await setup();
    s.backend.answer = (_r, i) => (i === 1 ? { status: 503 } : i === 2 ? { status: 429 } : { status: 204 });
    engine = await startHttpEngine(s.dir, {
      receiveLocations: [
        { name: 'in', receivePort: 'in', adapter: 'http', config: { listen: `127.0.0.1:${s.port}`, path: '/in' } },
      ],
      sendPorts: [
        {
          name: 'partner',
          adapter: 'http',
          config: { url: `${s.backend.url}/orders`, headers: { 'X-Source': 'HTTP.Path' } },
          filter: "BTS.ReceivePortName == 'in'",
          retry: { count: 3, intervalMs: 100 },
        },
      ],
    });
    await whenListening(`${s.base}/in`);
    expect((await post(`${s.base}/in`, 'order')).status).toBe(202);
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSent') && all;
    });
    const failures = events
      .filter((e) => e.type === 'SendFailed')
      .map((e) => (e.data as { error: { code: string } }).error.code);
    expect(failures).toEqual(['HTTP_STATUS_503', 'HTTP_STATUS_429']);
    expect(s.backend.received.map((r) => [r.body.toString(), r.headers['x-source']])).toEqual([
      ['order', '/in'],
      ['order', '/in'],
      ['order', '/in'],
    ]);
    // One idempotency key across the three attempts: a receiver that honours it takes the order once.
    expect(new Set(s.backend.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('a 4xx answer suspends the send at once, whatever retries are left', async () => {
    const s = await setup();
    s.backend.answer = () => ({ status: 422, body: 'order id missing' });
    engine = await startHttpEngine(s.dir, {
      receiveLocations: [
        { name: 'in', receivePort: 'in', adapter: 'http', config: { listen: `127.0.0.1:${s.port}`, path: '/in' } },
      ],
      sendPorts: [
        {
          name: 'partner',
          adapter: 'http',
          config: { url: s.backend.url },
          filter: "BTS.ReceivePortName == 'in'",
          retry: { count: 3, intervalMs: 100 },
        },
      ],
    });
    await whenListening(`${s.base}/in`);
    await post(`${s.base}/in`, 'bad order');
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    });
    expect(types(events)).toEqual(['MessageReceived', 'SendClaimed', 'SendFailed', 'MessageSuspended']);
    const { error } = events[2]!.data as { error: { code: string; retryable: boolean; message: string } };
    expect(error).toMatchObject({ code: 'HTTP_STATUS_422', retryable: false });
    expect(error.message).toContain('order id missing');
  });

  it('solicit-response: the answer is received as a new message correlated to its request', async () => {
    const s = await setup();
    s.backend.answer = (r) => ({
      status: 200,
      body: `price for ${r.body.toString()}: 42`,
      headers: { 'content-type': 'text/plain' },
    });
    engine = await startHttpEngine(s.dir, {
      receiveLocations: [
        { name: 'quotes-in', receivePort: 'quotes', adapter: 'file', config: { folder: s.inbox, pollIntervalMs: 50 } },
      ],
      sendPorts: [
        {
          name: 'pricing',
          adapter: 'http',
          config: { url: s.backend.url, solicitResponse: true },
          filter: "BTS.ReceivePortName == 'quotes'",
        },
        {
          name: 'answers',
          adapter: 'file',
          config: { folder: s.replies, fileName: '%MessageID%.txt' },
          filter: "BTS.CorrelationSet == 'pricing'",
        },
      ],
    });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(s.inbox, 'quote.txt'), 'widget');
    const answer = await eventually(() => writtenFiles(s.replies)[0]);
    expect(readFileSync(join(s.replies, answer), 'utf8')).toBe('price for widget: 42');
    const replyId = answer.replace(/\.txt$/, '');
    const [reply] = await engine.store.readStream(`message-${replyId}`);
    expect(reply!.data).toMatchObject({
      receiveLocation: 'pricing.response',
      contentType: 'text/plain',
      context: { promoted: { 'BTS.CorrelationSet': 'pricing' }, written: { 'HTTP.StatusCode': 200 } },
    });
  });

  it('a dynamic port sends to the http:// address in BTS.OutboundTransportLocation', async () => {
    const s = await setup();
    engine = await startHttpEngine(s.dir, {
      receiveLocations: [
        {
          name: 'in',
          receivePort: 'in',
          adapter: 'http',
          config: { listen: `127.0.0.1:${s.port}`, path: '/in' },
          pipeline: [{ component: 'promote', properties: { 'BTS.OutboundTransportLocation': '/target' } }],
        },
      ],
      sendPorts: [{ name: 'anywhere', dynamic: true, filter: 'BTS.OutboundTransportLocation exists' }],
    });
    await whenListening(`${s.base}/in`);
    const body = JSON.stringify({ target: `${s.backend.url}/dynamic/path` });
    expect((await post(`${s.base}/in`, body, { 'content-type': 'application/json' })).status).toBe(202);
    await eventually(() => s.backend.received.length === 1);
    expect(s.backend.received[0]).toMatchObject({ method: 'POST', url: '/dynamic/path' });
    expect(s.backend.received[0]!.body.toString()).toBe(body);
  });

  describe('request-response receive locations', () => {
    const bindings = (s: Awaited<ReturnType<typeof setup>>, timeoutMs: number, port: Record<string, unknown>) => ({
      receiveLocations: [
        {
          name: 'quote-api',
          receivePort: 'quote-api',
          adapter: 'http',
          config: { listen: `127.0.0.1:${s.port}`, path: '/quote', requestResponse: { timeoutMs } },
        },
      ],
      sendPorts: [
        { name: 'pricing', ...port, filter: "BTS.ReceivePortName == 'quote-api'" },
        // Replies are messages too: this archive is their subscriber (else they would be suspended as unroutable).
        {
          name: 'reply-archive',
          adapter: 'file',
          config: { folder: s.replies, fileName: '%MessageID%.txt' },
          filter: "BTS.CorrelationSet == 'pricing'",
        },
      ],
    });

    it('answers with the reply of an HTTP solicit-response port', async () => {
      const s = await setup();
      s.backend.answer = (r) => ({
        status: 200,
        body: `{"quote":"${r.body.toString()}","price":42}`,
        headers: { 'content-type': 'application/json' },
      });
      engine = await startHttpEngine(
        s.dir,
        bindings(s, 10_000, { adapter: 'http', config: { url: s.backend.url, solicitResponse: true } }),
      );
      await whenListening(`${s.base}/quote`);
      const answers = await Promise.all(['a', 'b', 'c'].map((q) => post(`${s.base}/quote`, q)));
      for (const [i, q] of ['a', 'b', 'c'].entries()) {
        expect(answers[i]!.status).toBe(200);
        expect(answers[i]!.headers.get('content-type')).toBe('application/json');
        expect(JSON.parse(answers[i]!.text)).toEqual({ quote: q, price: 42 });
      }
      const requestId = answers[0]!.headers.get('signalbox-message-id')!;
      const replyId = answers[0]!.headers.get('signalbox-reply-id')!;
      const [reply] = await engine.store.readStream(`message-${replyId}`);
      expect(reply!.data).toMatchObject({ context: { promoted: { 'BTS.RequestMessageID': requestId } } });
    });

    it('answers with the reply of a NATS request-reply port', async () => {
      const s = await setup();
      const subject = `pricing.rr.${n}`;
      const responder = natsClient.subscribe(subject, {
        callback: (_e, msg) => msg.respond(Buffer.from(`nats says ${Buffer.from(msg.data).toString()}`)),
      });
      await natsClient.flush();
      engine = await startHttpEngine(
        s.dir,
        bindings(s, 10_000, {
          adapter: 'nats',
          config: { servers: nats.url, subject, requestReply: true, timeoutMs: 2_000 },
        }),
      );
      await whenListening(`${s.base}/quote`);
      const answer = await post(`${s.base}/quote`, 'hello');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('nats says hello');
      responder.unsubscribe();
    });

    it('answers 504 with the message id when no reply comes in time; the request is still stored', async () => {
      const s = await setup();
      s.backend.answer = () => ({ status: 200, body: 'too late', delayMs: 3_000 });
      engine = await startHttpEngine(
        s.dir,
        bindings(s, 500, { adapter: 'http', config: { url: s.backend.url, solicitResponse: true } }),
      );
      await whenListening(`${s.base}/quote`);
      const answer = await post(`${s.base}/quote`, 'slow');
      expect(answer.status).toBe(504);
      const json = JSON.parse(answer.text) as { messageId: string; error: string };
      expect(json.error).toBe('REPLY_TIMEOUT');
      const events = await engine.store.readStream(`message-${json.messageId}`);
      expect(events[0]?.type).toBe('MessageReceived');
      // The late reply is still received and correlated, for whoever wants it.
      await eventually(() => writtenFiles(s.replies)[0], 15_000);
    });
  });
});
