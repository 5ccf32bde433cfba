import { connect, nanos, RetentionPolicy } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsWorkQueue } from '../../src/bus/nats/index.js';
import { freePort, startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { workQueueContract } from './work-queue.contract.js';
import { queueName } from './work-queue-helpers.js';

let server: NatsTestServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(() => server?.stop());

workQueueContract('NATS JetStream (real nats-server, separate connections and processes)', {
  // Each queue its own stream, subjects and consumer, so tests cannot see each other's items.
  target: (name) => ({ location: server.url, options: { nats: { stream: name, subjectPrefix: `test.${name}` } } }),
});

describe('NATS work queue set-up', () => {
  const quiet = { info: () => undefined, warn: () => undefined };

  it('brings an existing stream and consumer to the configured settings', async () => {
    const name = queueName();
    const base = { servers: server.url, stream: name, subjectPrefix: `test.${name}`, logger: quiet };
    await (await NatsWorkQueue.connect({ ...base, duplicateWindowMs: 60_000, ackWaitMs: 10_000 })).close();
    await (await NatsWorkQueue.connect({ ...base, duplicateWindowMs: 90_000, ackWaitMs: 20_000 })).close();
    const admin = await connect({ servers: server.url });
    try {
      const jsm = await admin.jetstreamManager();
      const stream = await jsm.streams.info(name);
      expect(stream.config).toMatchObject({
        retention: RetentionPolicy.Workqueue,
        subjects: [`test.${name}.>`],
        duplicate_window: nanos(90_000),
      });
      const consumer = await jsm.consumers.info(name, 'signalbox-send-workers');
      expect(consumer.config).toMatchObject({ ack_wait: nanos(20_000), max_deliver: -1, ack_policy: 'explicit' });
    } finally {
      await admin.close();
    }
  });

  it('refuses a stream of the same name that is not a work queue', async () => {
    const name = queueName();
    const admin = await connect({ servers: server.url });
    try {
      const jsm = await admin.jetstreamManager();
      await jsm.streams.add({ name, subjects: [`test.${name}.>`], retention: RetentionPolicy.Limits });
    } finally {
      await admin.close();
    }
    const opening = NatsWorkQueue.connect({ servers: server.url, stream: name, subjectPrefix: `test.${name}` });
    await expect(opening).rejects.toMatchObject({ code: 'WORK_QUEUE_MISCONFIGURED' });
  });

  it('refuses bad options with the path of the bad field, and an unreachable server as retryable', async () => {
    await expect(NatsWorkQueue.connect({ servers: server.url, stream: 'a.b' })).rejects.toThrow(/stream/);
    const closedPort = `nats://127.0.0.1:${await freePort()}`;
    await expect(NatsWorkQueue.connect({ servers: closedPort, requestTimeoutMs: 500 })).rejects.toMatchObject({
      code: 'WORK_QUEUE_UNAVAILABLE',
      retryable: true,
    });
  });
});
