// A worker for the partition test, run inside a network namespace (`ip netns exec NS node
// --import tsx partition-worker.ts SETTINGS`): a whole host instance on the shared SQLite store,
// with a NATS JetStream work queue on its namespace's node. Its send port's transport appends one
// line per send to a shared ledger, so a send made twice shows as two lines whatever the store
// says; its queue records every delivery, so redeliveries are visible to the test.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AdapterDefinition } from '../../../src/adapters/adapter.js';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { NatsWorkQueue } from '../../../src/bus/nats/index.js';
import type { ConsumeOptions, WorkDelivery, WorkQueue } from '../../../src/bus/work-queue.js';
import { parseBindings } from '../../../src/domain/config/index.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { LocalBlobStore } from '../../../src/store/blob/local-blob-store.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { HostRuntime } from '../../../src/workers/host-runtime.js';
import type { Logger } from '../../../src/workers/logger.js';

export interface PartitionWorkerSettings {
  readonly name: string;
  readonly data: string;
  readonly nats: string;
  readonly bindings: unknown;
  /** JSON lines, one per delivery this worker's queue hands out. */
  readonly deliveries: string;
  readonly leaseTtlMs: number;
  readonly ackWaitMs: number;
  readonly concurrency: number;
}

const settings = JSON.parse(process.argv[2]!) as PartitionWorkerSettings;
const instance = `${settings.name}-${process.pid}`;

function line(level: string, object: object, message?: string): void {
  const fields = Object.fromEntries(
    Object.entries(object).map(([k, v]) => [k, v instanceof Error ? `${v.name}: ${v.message}` : v]),
  );
  process.stderr.write(
    `${JSON.stringify({ level, time: Date.now(), worker: settings.name, msg: message, ...fields })}\n`,
  );
}
const logger: Logger = {
  info: (o, m) => line('info', o, m),
  warn: (o, m) => line('warn', o, m),
  error: (o, m) => line('error', o, m),
  debug: () => undefined,
};

const ledgerConfig = z.object({ file: z.string().min(1), delayMs: z.number().int().min(0) });
/** A transport that records each send; the delay keeps sends in progress when the link goes. */
const ledger: AdapterDefinition<never, z.infer<typeof ledgerConfig>> = {
  name: 'ledger',
  description: 'test transport: one line per send in a shared file',
  send: {
    config: ledgerConfig,
    create: (config) => ({
      async send(message, signal) {
        await sleep(config.delayMs, undefined, { signal });
        const record = { messageId: message.messageId, port: message.port, attempt: message.attempt, worker: instance };
        appendFileSync(config.file, `${JSON.stringify(record)}\n`);
        return { address: config.file };
      },
      close: () => Promise.resolve(),
    }),
  },
};

/** Passes everything to the real queue and records each delivery it hands out. */
class RecordingQueue implements WorkQueue {
  constructor(private readonly inner: WorkQueue) {}
  publish(work: Parameters<WorkQueue['publish']>[0]) {
    return this.inner.publish(work);
  }
  async *consume(options: ConsumeOptions): AsyncGenerator<WorkDelivery> {
    for await (const delivery of this.inner.consume(options)) {
      const record = { messageId: delivery.work.messageId, deliveryCount: delivery.deliveryCount, worker: instance };
      appendFileSync(settings.deliveries, `${JSON.stringify({ ...record, at: Date.now() })}\n`);
      yield delivery;
    }
  }
  isHealthy() {
    return this.inner.isHealthy();
  }
  close() {
    return this.inner.close();
  }
}

/** The cluster may still be electing its leaders when the worker starts. */
async function connectQueue(): Promise<NatsWorkQueue> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await NatsWorkQueue.connect({
        servers: settings.nats,
        replicas: 3,
        ackWaitMs: settings.ackWaitMs,
        requestTimeoutMs: 1_500,
        healthProbeMs: 500,
        fetchExpiresMs: 1_000,
        connectionName: instance,
        logger,
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn({ err: error }, 'work queue not ready yet');
      await sleep(500);
    }
  }
}

const store = new SqliteEventStore(join(settings.data, 'signalbox.db'));
const blobs = await LocalBlobStore.open(join(settings.data, 'blobs'));
const natsQueue = await connectQueue();
const queue = new RecordingQueue(natsQueue);
const views = openViewDatabase(join(settings.data, `views-${settings.name}.db`));
const runtime = new HostRuntime({
  bindings: parseBindings(settings.bindings),
  registry: defaultRegistry().register(ledger),
  store,
  blobs,
  queue,
  views,
  identity: { host: 'default', instance },
  logger,
  // Every send goes through the queue, so the partition has work in flight to take away.
  sendAtReceipt: false,
  sendConcurrency: settings.concurrency,
  leaseTtlMs: settings.leaseTtlMs,
  ackWaitMs: settings.ackWaitMs,
});
runtime.start();
process.stdout.write(`ready ${instance}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await runtime.stop();
    await queue.close();
    views.close();
    await store.close();
    process.exit(0);
  })();
});
setInterval(() => undefined, 60_000);
