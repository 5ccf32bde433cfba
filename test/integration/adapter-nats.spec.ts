import { noSecrets } from '../../src/adapters/secrets.js';
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiveHandler, SendHandler } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { natsAdapter } from '../../src/adapters/nats/index.js';
import { outbound, ReceiverRunner, Recorder, waitFor } from '../contract/adapter-support.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

let server: NatsTestServer;
let admin: NatsConnection;
let streams = 0;
const runners: ReceiverRunner[] = [];
const senders: SendHandler[] = [];

beforeAll(async () => {
  server = await startNatsServer('nats-adapter');
  admin = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(senders.splice(0).map((s) => s.close()));
});

const fast = { reconnectTimeWaitMs: 100, connectTimeoutMs: 2_000 };
const receiver = (config: Record<string, unknown>): ReceiveHandler =>
  natsAdapter.receive!.create(
    natsAdapter.receive!.config.parse({ servers: server.url, fetchExpiresMs: 1_000, ...fast, ...config }),
    { name: 'loc', receivePort: 'port', secrets: noSecrets },
  );
const sender = (config: Record<string, unknown>): SendHandler => {
  const handler = natsAdapter.send!.create(
    natsAdapter.send!.config.parse({ servers: server.url, ...fast, ...config }),
    { name: 'port', secrets: noSecrets },
  );
  senders.push(handler);
  return handler;
};
const run = (handler: ReceiveHandler, recorder: Recorder) => {
  const runner = new ReceiverRunner(handler, recorder.submitFor(0)).start();
  runners.push(runner);
  return runner;
};
async function freshStream(): Promise<{ stream: string; subject: string }> {
  const n = ++streams;
  const stream = `ADAPTER_${n}`;
  await (await admin.jetstreamManager()).streams.add({ name: stream, subjects: [`adapter.${n}.>`] });
  return { stream, subject: `adapter.${n}.in` };
}
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );
const signal = () => new AbortController().signal;

describe('NATS adapter against a real nats-server', () => {
  it('carries NATS.Header.* properties as headers, never reserved ones, and promotes them on receipt', async () => {
    const { stream, subject } = await freshStream();
    const send = sender({ mode: 'jetstream', subject });
    await send.send(
      outbound(Buffer.from('<order/>'), {
        messageId: 'm-1',
        context: {
          promoted: { 'NATS.Header.X-Trace': 'abc', 'NATS.Header.Nats-Expected-Stream': 'WRONG' },
          written: { 'NATS.Header.Priority': 5, 'NATS.Header.Nats-Msg-Id': 'forged' },
        },
      }),
      signal(),
    );
    const recorder = new Recorder();
    run(receiver({ mode: 'jetstream', stream, durable: 'd' }), recorder);
    await waitFor(() => recorder.received.length === 1, 'the message');
    const { context, sourceKey } = recorder.received[0]!.message;
    expect(context?.promoted).toEqual({
      'NATS.Subject': subject,
      'NATS.Header.X-Trace': 'abc',
      'NATS.Header.Priority': '5',
      // Set by the adapter for de-duplication: messageId:port.
      'NATS.Header.Nats-Msg-Id': 'm-1:contract-port',
    });
    expect(context?.written).toMatchObject({
      'NATS.Stream': stream,
      'NATS.StreamSequence': 1,
      'NATS.Consumer': 'd',
      'NATS.DeliveryCount': 1,
    });
    expect(sourceKey).toMatch(new RegExp(`^${stream}:1:\\d+$`));
  });

  it('stores a message once in JetStream however often its send is retried (Nats-Msg-Id = messageId:port)', async () => {
    const { stream, subject } = await freshStream();
    const send = sender({ mode: 'jetstream', subject, expectStream: stream });
    const first = await send.send(outbound(Buffer.from('a'), { messageId: 'same', attempt: 1 }), signal());
    const again = await send.send(outbound(Buffer.from('a'), { messageId: 'same', attempt: 1 }), signal());
    const retry = await send.send(outbound(Buffer.from('a'), { messageId: 'same', attempt: 2 }), signal());
    const other = await send.send(outbound(Buffer.from('b'), { messageId: 'other', attempt: 1 }), signal());
    expect(first.properties).toMatchObject({ stream, sequence: 1, duplicate: false });
    expect(again.properties).toMatchObject({ duplicate: true });
    expect(retry.properties).toMatchObject({ duplicate: true });
    expect(other.properties).toMatchObject({ sequence: 2, duplicate: false });
    expect((await (await admin.jetstreamManager()).streams.info(stream)).state.messages).toBe(2);
  });

  it('request-reply: the reply comes back as the response of the send; no reply in time is a transient NATS_TIMEOUT', async () => {
    const subject = `rr.${Math.random().toString(36).slice(2)}`;
    const responder = admin.subscribe(subject, {
      callback: (_err, msg) => {
        const h = natsHeaders();
        h.set('X-Answer', 'yes');
        msg.respond(Buffer.concat([Buffer.from('re: '), Buffer.from(msg.data)]), { headers: h });
      },
    });
    await admin.flush();
    const send = sender({ mode: 'core', subject, requestReply: true, timeoutMs: 1000 });
    const outcome = await send.send(outbound(Buffer.from('ping')), signal());
    expect(Buffer.from(outcome.response!.body as Uint8Array).toString()).toBe('re: ping');
    expect(outcome.response!.context?.promoted).toMatchObject({ 'NATS.Header.X-Answer': 'yes' });
    responder.unsubscribe();
    await admin.flush();
    const silent = sender({ mode: 'core', subject: `${subject}.nobody`, requestReply: true, timeoutMs: 300 });
    const error = await rejection(silent.send(outbound(Buffer.from('ping')), signal()));
    expect(error).toBeInstanceOf(TransientAdapterError);
    await send.close();
    await silent.close();
  });

  it('refuses what no retry can fix: a body over max_payload, a header with CR/LF, a wrong expected stream', async () => {
    const { subject } = await freshStream();
    const send = sender({ mode: 'jetstream', subject });
    const big = await rejection(send.send(outbound(Buffer.alloc(2 * 1024 * 1024)), signal()));
    expect((big as PermanentAdapterError).code).toBe('NATS_PAYLOAD_TOO_LARGE');
    const header = await rejection(
      send.send(
        outbound(Buffer.from('x'), { context: { promoted: { 'NATS.Header.X': 'a\r\nb' }, written: {} } }),
        signal(),
      ),
    );
    expect((header as PermanentAdapterError).code).toBe('NATS_HEADER_INVALID');
    const wrong = await rejection(
      sender({ mode: 'jetstream', subject, expectStream: 'OTHER' }).send(outbound(Buffer.from('x')), signal()),
    );
    expect(wrong).toBeInstanceOf(PermanentAdapterError);
  });

  it('reports a JetStream publish nobody stores as NATS_NO_RESPONDERS (transient: a stream may come)', async () => {
    const error = await rejection(
      sender({ mode: 'jetstream', subject: 'no.stream.here' }).send(outbound(Buffer.from('x')), signal()),
    );
    expect(error).toBeInstanceOf(TransientAdapterError);
    expect((error as TransientAdapterError).code).toBe('NATS_NO_RESPONDERS');
  });

  it('refuses a missing stream, or a missing consumer it may not create, as permanent', async () => {
    const missingStream = await rejection(
      receiver({ mode: 'jetstream', stream: 'NO_SUCH_STREAM', durable: 'd' }).run({
        signal: signal(),
        submit: new Recorder().submitFor(0),
      }),
    );
    expect((missingStream as PermanentAdapterError).code).toBe('NATS_STREAM_NOT_FOUND');
    const { stream } = await freshStream();
    const missingConsumer = await rejection(
      receiver({ mode: 'jetstream', stream, durable: 'absent', createConsumer: false }).run({
        signal: signal(),
        submit: new Recorder().submitFor(0),
      }),
    );
    expect((missingConsumer as PermanentAdapterError).code).toBe('NATS_CONSUMER_NOT_FOUND');
  });

  it('receives in order when ordered, a failed submit holding back the ones after it', async () => {
    const { stream, subject } = await freshStream();
    const js = admin.jetstream();
    for (let i = 0; i < 20; i++) await js.publish(subject, Buffer.from(`ordered ${i}`));
    const recorder = new Recorder();
    let failures = 0;
    recorder.behaviour = (r) => (r.body.toString() === 'ordered 5' && failures++ < 2 ? 'throw' : undefined);
    run(receiver({ mode: 'jetstream', stream, durable: 'ordered', ordered: true, nakDelayMs: 100 }), recorder);
    await waitFor(() => recorder.received.length === 20, 'all 20 messages');
    expect(recorder.received.map((r) => r.body.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `ordered ${i}`),
    );
    expect(failures).toBe(3);
    const info = await (await admin.jetstreamManager()).consumers.info(stream, 'ordered');
    expect(info.config.max_ack_pending).toBe(1);
  });

  it('keys a core message by its Nats-Msg-Id, and promotes its subject and headers', async () => {
    const recorder = new Recorder();
    run(receiver({ subject: 'core.keyed.*' }), recorder);
    await sleep(300);
    const h = (await import('nats')).headers();
    h.set('Nats-Msg-Id', 'publisher-42');
    h.set('X-Kind', 'order');
    admin.publish('core.keyed.eu', Buffer.from('a'), { headers: h, reply: 'reply.here' });
    admin.publish('core.keyed.us', Buffer.from('b'));
    await waitFor(() => recorder.received.length === 2, 'both messages');
    const [a, b] = ['a', 'b'].map((body) => recorder.received.find((r) => r.body.toString() === body)!.message);
    expect(a!.sourceKey).toBe('msg-id:publisher-42');
    expect(a!.context?.promoted).toMatchObject({ 'NATS.Subject': 'core.keyed.eu', 'NATS.Header.X-Kind': 'order' });
    expect(a!.context?.written).toEqual({ 'NATS.ReplyTo': 'reply.here' });
    expect(b!.sourceKey).toBeUndefined();
  });

  it('ends with NATS_CONNECTION_LOST when the client gives the server up, and recovers when run again', async () => {
    const own = await startNatsServer('nats-adapter-lost');
    try {
      const setup = await connect({ servers: own.url });
      await (await setup.jetstreamManager()).streams.add({ name: 'LOST', subjects: ['lost.>'] });
      await setup.close();
      const handler = natsAdapter.receive!.create(
        natsAdapter.receive!.config.parse({
          servers: own.url,
          mode: 'jetstream',
          stream: 'LOST',
          durable: 'd',
          reconnectTimeWaitMs: 50,
          maxReconnectAttempts: 2,
          fetchExpiresMs: 1_000,
        }),
        { name: 'loc', receivePort: 'port', secrets: noSecrets },
      );
      const recorder = new Recorder();
      const runner = new ReceiverRunner(handler, recorder.submitFor(0), 300);
      runners.push(runner.start());
      await sleep(300);
      await own.kill9();
      await waitFor(() => runner.transient.length > 0, 'the receiver to give up', 20_000);
      expect(runner.transient[0]!.code).toMatch(/^NATS_(CONNECTION_LOST|CONNECT_FAILED)$/);
      await own.restart();
      const send = natsAdapter.send!.create(
        natsAdapter.send!.config.parse({ servers: own.url, mode: 'jetstream', subject: 'lost.x' }),
        { name: 'p', secrets: noSecrets },
      );
      senders.push(send);
      await send.send(outbound(Buffer.from('after')), signal());
      await waitFor(() => recorder.received.length === 1, 'a message after the server came back', 20_000);
      expect(runner.fatal).toEqual([]);
    } finally {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
      await own.stop();
    }
  });
});
