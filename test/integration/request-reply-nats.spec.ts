import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('request-reply');
let server: NatsTestServer;
let client: NatsConnection;
let engine: TestEngine | undefined;
beforeAll(async () => {
  server = await startNatsServer('request-reply');
  client = await connect({ servers: server.url });
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
  root.cleanup();
});

let n = 0;
function bindings(subject: string) {
  const dir = join(root.path, `case${n++}`);
  const inbox = join(dir, 'inbox');
  const replies = join(dir, 'replies');
  mkdirSync(inbox, { recursive: true });
  return {
    dir,
    inbox,
    replies,
    bindings: {
      receiveLocations: [
        {
          name: 'quotes-in',
          receivePort: 'quotes',
          adapter: 'file',
          config: { folder: inbox, mask: '*', pollIntervalMs: 50 },
        },
      ],
      sendPorts: [
        {
          name: 'pricing',
          adapter: 'nats',
          config: { servers: server.url, mode: 'core', subject, requestReply: true, timeoutMs: 500 },
          filter: "BTS.ReceivePortName == 'quotes'",
          retry: { count: 1, intervalMs: 100 },
        },
        {
          name: 'answers',
          adapter: 'file',
          config: { folder: replies, fileName: '%MessageID%.txt', createFolder: true },
          filter: "BTS.CorrelationSet == 'pricing'",
        },
      ],
    },
  };
}

describe('request-reply over NATS through the engine', () => {
  it('the reply is received as a new message correlated to its request and routed on', async () => {
    const subject = `pricing.${n}`;
    const responder = client.subscribe(subject, {
      callback: (_e, msg) => msg.respond(Buffer.from(`price for ${Buffer.from(msg.data).toString()}: 42`)),
    });
    await client.flush();
    const setup = bindings(subject);
    engine = await startTestEngine(setup.dir, setup.bindings);
    writeFileSync(join(setup.inbox, 'quote.txt'), 'widget');
    const answer = await eventually(() => writtenFiles(setup.replies)[0]);
    expect(readFileSync(join(setup.replies, answer), 'utf8')).toBe('price for widget: 42');
    const events = await engine.messageEvents();
    const request = events.find(
      (e) => e.type === 'MessageReceived' && (e.data as { receiveLocation: string }).receiveLocation === 'quotes-in',
    )!;
    const requestId = (request.data as { messageId: string }).messageId;
    const replyId = answer.replace(/\.txt$/, '');
    const [reply] = await engine.store.readStream(`message-${replyId}`);
    expect(reply!.data).toMatchObject({
      receiveLocation: 'pricing.response',
      context: { promoted: { 'BTS.CorrelationSet': 'pricing', 'BTS.RequestMessageID': requestId } },
    });
    const conversation = await engine.store.readStream(`correlation-pricing-${requestId}`);
    expect(conversation.map((e) => e.type)).toEqual(['CorrelationInitialized', 'CorrelationFollowed']);
    responder.unsubscribe();
  });

  it('no reply within the timeout fails the send; after its retries the request is suspended', async () => {
    const subject = `pricing.silent.${n}`;
    // Someone listens but never answers: each request waits out its 500 ms timeout.
    const mute = client.subscribe(subject, { callback: () => undefined });
    await client.flush();
    const setup = bindings(subject);
    engine = await startTestEngine(setup.dir, setup.bindings);
    writeFileSync(join(setup.inbox, 'quote.txt'), 'gadget');
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    }, 20_000);
    expect(events.map((e) => e.type)).toEqual([
      'MessageReceived',
      'SendClaimed',
      'SendFailed',
      'SendClaimed',
      'SendFailed',
      'MessageSuspended',
    ]);
    expect(events[5]!.data).toMatchObject({ port: 'pricing', stage: 'send', reason: { retryable: true } });
    expect((events[2]!.data as { error: { code: string } }).error.code).toBe('NATS_TIMEOUT');
    mute.unsubscribe();
  });
});
