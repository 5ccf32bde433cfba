import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll } from 'vitest';
import { freePort, startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { adapterContract } from './adapter.contract.js';

let server: NatsTestServer;
let admin: NatsConnection;
let fixtures = 0;

beforeAll(async () => {
  server = await startNatsServer('nats-adapter-contract');
  admin = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Quick reconnects: the tests restart the server and want the client back within a second. */
const fast = { reconnectTimeWaitMs: 100, maxReconnectAttempts: -1, connectTimeoutMs: 2_000 };

async function unreachable() {
  const servers = `nats://127.0.0.1:${await freePort()}`;
  return {
    receiveConfig: { servers, mode: 'jetstream', stream: 'NONE', durable: 'rx', connectTimeoutMs: 500 },
    sendConfig: { servers, subject: 'nowhere', connectTimeoutMs: 500 },
  };
}
let closedPort: Awaited<ReturnType<typeof unreachable>>;
beforeAll(async () => {
  closedPort = await unreachable();
});

adapterContract('nats (JetStream)', {
  adapter: 'nats',
  redelivery: true,
  restart: { midStream: true },
  // Under the server's 1 MiB max_payload, headers included.
  largeBodyBytes: 900 * 1024,
  async open() {
    const n = ++fixtures;
    const stream = `CONTRACT_${n}`;
    const subject = `contract.${n}.in`;
    const jsm = await admin.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`contract.${n}.>`] });
    return {
      receiveConfig: {
        ...fast,
        servers: server.url,
        mode: 'jetstream',
        stream,
        durable: 'receivers',
        nakDelayMs: 50,
        fetchExpiresMs: 1_000,
      },
      sendConfig: { ...fast, servers: server.url, mode: 'jetstream', subject, timeoutMs: 2_000 },
      async remaining() {
        const manager = await admin.jetstreamManager();
        const consumers = await manager.consumers.list(stream).next();
        if (consumers.length === 0) return (await manager.streams.info(stream)).state.messages;
        const info = await manager.consumers.info(stream, 'receivers');
        return info.num_pending + info.num_ack_pending;
      },
      async inject(bodies) {
        const js = admin.jetstream();
        for (const body of bodies) await js.publish(subject, body);
      },
      restartServer: () => server.restart(),
      async cleanup() {
        await (await admin.jetstreamManager()).streams.delete(stream).catch(() => undefined);
      },
    };
  },
  unreachable: () => closedPort,
});

adapterContract('nats (core, queue group)', {
  adapter: 'nats',
  liveOnly: true,
  redelivery: { skip: 'core NATS keeps nothing, so there is nothing to deliver again' },
  restart: { midStream: false },
  largeBodyBytes: 900 * 1024,
  async open() {
    const subject = `core.${++fixtures}.in`;
    return {
      receiveConfig: { ...fast, servers: server.url, subject, queueGroup: 'receivers' },
      sendConfig: { ...fast, servers: server.url, subject },
      async inject(bodies) {
        for (const body of bodies) admin.publish(subject, body);
        await admin.flush();
      },
      restartServer: () => server.restart(),
      cleanup: async () => undefined,
    };
  },
  unreachable: () => ({
    receiveConfig: { ...closedPort.receiveConfig, mode: 'core', subject: 'x', stream: undefined, durable: undefined },
    sendConfig: closedPort.sendConfig,
  }),
});
