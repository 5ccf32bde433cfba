import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dedupKey, type SendWork } from '../../src/bus/send-work.js';
import type { WorkDelivery, WorkQueue } from '../../src/bus/work-queue.js';

const child = fileURLToPath(new URL('./work-queue-child.ts', import.meta.url));

/** A queue name that is also a valid JetStream stream name and subject token. */
export function queueName(): string {
  return `q_${randomUUID().slice(0, 8)}`;
}

export function sendWork(n: number, overrides: Partial<SendWork> = {}): SendWork {
  return { messageId: `m-${n}`, port: 'out', attempt: 1, enqueuedAt: new Date().toISOString(), ...overrides };
}

export function keyOf(delivery: WorkDelivery): string {
  return dedupKey(delivery.work);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumes until `count` deliveries arrived or `timeoutMs` passed, handing each to `handle`
 * (default: ack). Returns them in arrival order, each with the time it arrived.
 */
export async function consumeN(
  queue: WorkQueue,
  count: number,
  options: { timeoutMs?: number; concurrency?: number; handle?: (d: WorkDelivery) => Promise<void> } = {},
): Promise<{ delivery: WorkDelivery; at: number }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 10_000);
  const handle = options.handle ?? ((d) => d.ack());
  const got: { delivery: WorkDelivery; at: number }[] = [];
  const handling: Promise<void>[] = [];
  try {
    for await (const delivery of queue.consume({ signal: controller.signal, concurrency: options.concurrency })) {
      got.push({ delivery, at: Date.now() });
      handling.push(handle(delivery));
      if (got.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  await Promise.all(handling);
  return got;
}

/** The first delivery within `timeoutMs`, left unsettled; undefined when none came. */
export async function takeOne(queue: WorkQueue, timeoutMs = 10_000) {
  const [first] = await consumeN(queue, 1, { timeoutMs, handle: async () => undefined });
  return first;
}

/** A consumer running in the background, acking everything, until `stop()`. */
export function backgroundConsumer(queue: WorkQueue, options: { concurrency?: number; workMs?: number } = {}) {
  const controller = new AbortController();
  const acked: string[] = [];
  /** Keys whose ack failed: the server may still have applied it (its answer was lost). */
  const failedAcks: string[] = [];
  const errors: unknown[] = [];
  const done = (async () => {
    const settling: Promise<void>[] = [];
    for await (const delivery of queue.consume({ signal: controller.signal, concurrency: options.concurrency })) {
      settling.push(
        (async () => {
          if (options.workMs) await sleep(options.workMs);
          try {
            await delivery.ack();
            acked.push(keyOf(delivery));
          } catch (error) {
            failedAcks.push(keyOf(delivery));
            errors.push(error);
          }
        })(),
      );
    }
    await Promise.all(settling);
  })();
  return {
    acked,
    failedAcks,
    errors,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Polls `condition` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A consumer in its own OS process (work-queue-child.ts), which holds or acks what it gets. */
export interface ChildConsumer {
  readonly process: ChildProcess;
  /** Every line the child printed after `ready`. */
  readonly lines: readonly string[];
  /** Resolves with the dedup key and delivery count of the next item a `hold` child took. */
  nextItem(): Promise<{ key: string; deliveryCount: number }>;
}

export async function startChildConsumer(
  location: string,
  options: object,
  mode: 'hold' | 'ack' = 'hold',
  workMs = 0,
): Promise<ChildConsumer> {
  const args = [child, location, JSON.stringify(options), mode, String(workMs)];
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let read = 0;
  let changed: () => void = () => undefined;
  let buffer = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    changed();
  });
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code, signal) => reject(new Error(`child consumer exited (${code ?? signal})`))),
  );
  exited.catch(() => undefined);
  const nextLine = async (): Promise<string> => {
    while (read >= lines.length) await Promise.race([new Promise<void>((resolve) => (changed = resolve)), exited]);
    return lines[read++]!;
  };
  const ready = await nextLine();
  if (ready !== 'ready') throw new Error(`child consumer said ${ready} instead of ready`);
  lines.splice(0, read);
  read = 0;
  return {
    process: proc,
    lines,
    async nextItem() {
      const [word, key, count] = (await nextLine()).split(' ');
      if (word !== 'got' || !key) throw new Error(`unexpected line from child consumer: ${word} ${key}`);
      return { key, deliveryCount: Number(count) };
    },
  };
}
