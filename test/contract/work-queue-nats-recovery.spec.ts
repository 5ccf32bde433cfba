import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dedupKey } from '../../src/bus/send-work.js';
import type { SendWork } from '../../src/bus/send-work.js';
import { NatsWorkQueue, type NatsWorkQueueOptions } from '../../src/bus/nats/index.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { backgroundConsumer, queueName, sendWork, waitFor } from './work-queue-helpers.js';

let server: NatsTestServer;
const opened: NatsWorkQueue[] = [];
beforeAll(async () => {
  server = await startNatsServer('nats-recovery');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
});
afterAll(() => server?.stop());

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (_: object, message: string) => void warnings.push(message) };
}

async function open(name: string, options: Partial<NatsWorkQueueOptions> = {}) {
  const queue = await NatsWorkQueue.connect({
    servers: server.url,
    stream: name,
    subjectPrefix: `test.${name}`,
    logger: recordingLogger(),
    ...options,
  });
  opened.push(queue);
  return queue;
}

/** Publishes as a dispatcher would: a retryable failure (server away) is tried again. */
async function publishPatiently(queue: NatsWorkQueue, work: SendWork, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await queue.publish(work);
    } catch (error) {
      if (!(error as { retryable?: boolean }).retryable || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('NATS work queue recovery (real nats-server)', () => {
  it('keeps publishing and consuming across a server restart, losing nothing it had persisted', async () => {
    const name = queueName();
    const publisher = await open(name, { requestTimeoutMs: 2_000 });
    const consumer = backgroundConsumer(await open(name, { ackWaitMs: 2_000 }), { concurrency: 4, workMs: 5 });
    const before = Array.from({ length: 150 }, (_, i) => sendWork(i));
    const after = Array.from({ length: 150 }, (_, i) => sendWork(1_000 + i));
    for (const work of before) await publisher.publish(work);
    await waitFor(() => consumer.acked.length >= 30, '30 acks before the restart');
    // SIGTERM: JetStream flushes its file store on the way down, so everything published is kept.
    await server.restart();
    for (const work of after) await publishPatiently(publisher, work);
    const expected = new Set([...before, ...after].map(dedupKey));
    // An ack cut off by the restart may have reached the server (then the item is gone) or not
    // (then it comes back): either way the item was handled.
    const handled = () => new Set([...consumer.acked, ...consumer.failedAcks]);
    await waitFor(() => handled().size === expected.size, 'every item handled', 30_000);
    await consumer.stop();
    expect(handled()).toEqual(expected);
    const duplicates = consumer.acked.length - new Set(consumer.acked).size;
    const cutOff = consumer.failedAcks.length;
    const cameBack = consumer.failedAcks.filter((key) => consumer.acked.includes(key)).length;
    console.log(
      `restart: ${duplicates} redelivered after a confirmed ack; ${cutOff} acks cut off, ${cameBack} came back`,
    );
    // A confirmed ack is on disk after a SIGTERM restart: nothing acked comes back.
    expect(duplicates).toBe(0);
  });

  it('re-creates a deleted stream under a running consumer and goes on with new work', async () => {
    const name = queueName();
    const logger = recordingLogger();
    const queue = await open(name, { logger, fetchExpiresMs: 2_000 });
    const consumer = backgroundConsumer(queue, { concurrency: 2 });
    for (let i = 0; i < 10; i++) await queue.publish(sendWork(i));
    await waitFor(() => consumer.acked.length === 10, 'the first 10 items');

    const admin: NatsConnection = await connect({ servers: server.url });
    try {
      const jsm = await admin.jetstreamManager();
      expect(await jsm.streams.delete(name)).toBe(true);
      // The consumer, not a publish, must bring the stream and its durable consumer back.
      await waitFor(
        () =>
          jsm.consumers.info(name, 'signalbox-send-workers').then(
            () => true,
            () => false,
          ),
        'the consumer to re-create stream and consumer',
        20_000,
      );
    } finally {
      await admin.close();
    }
    for (let i = 10; i < 20; i++) await queue.publish(sendWork(i));
    await waitFor(() => consumer.acked.length === 20, 'the 10 items published after re-creation');
    await consumer.stop();
    expect(consumer.errors).toEqual([]);
    expect(new Set(consumer.acked).size).toBe(20);
    expect(logger.warnings.some((w) => w.includes('re-ensuring'))).toBe(true);
  });

  it('reports itself unhealthy while the server is down, closes without it, and is healthy once it is back', async () => {
    const queue = await open(queueName());
    const leaving = await open(queueName(), { requestTimeoutMs: 1_000 });
    expect(queue.isHealthy()).toBe(true);
    await server.kill9();
    await waitFor(() => !queue.isHealthy(), 'isHealthy() to turn false', 10_000);
    // Closing must not wait for a server that is not there.
    const closeStarted = Date.now();
    await leaving.close();
    expect(Date.now() - closeStarted).toBeLessThan(2_500);
    await server.restart();
    await waitFor(() => queue.isHealthy(), 'isHealthy() to turn true', 15_000);
    expect(await publishPatiently(queue, sendWork(1))).toEqual({ duplicate: false });
  });
});
