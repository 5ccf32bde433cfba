import { afterEach, describe, expect, it } from 'vitest';
import { Capacity } from '../../src/bus/capacity.js';
import { openWorkQueue, type OpenWorkQueueOptions } from '../../src/bus/open-work-queue.js';
import { dedupKey } from '../../src/bus/send-work.js';
import type { WorkDelivery, WorkQueue } from '../../src/bus/work-queue.js';
import {
  backgroundConsumer,
  consumeN,
  keyOf,
  queueName,
  sendWork,
  sleep,
  startChildConsumer,
  takeOne,
} from './work-queue-helpers.js';

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export interface WorkQueueHarness {
  /** Where queue `name` lives: every open of the same name shares one queue, other names are apart. */
  target(name: string): { location: string; options?: OpenWorkQueueOptions };
}

/** The behaviour every WorkQueue implementation must have. */
export function workQueueContract(implementation: string, harness: WorkQueueHarness): void {
  describe(`WorkQueue contract: ${implementation}`, () => {
    const opened: WorkQueue[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()));
    });

    async function open(name: string, ackWaitMs?: number): Promise<WorkQueue> {
      const { location, options } = harness.target(name);
      const queue = await openWorkQueue(location, { ...options, ackWaitMs });
      opened.push(queue);
      return queue;
    }

    it('delivers each of N published items once when every delivery is acked', async () => {
      // A short ack wait, so that an ack that did not stick shows up as a redelivery below.
      const queue = await open(queueName(), 1_000);
      const n = 50;
      for (let i = 0; i < n; i++) expect(await queue.publish(sendWork(i))).toEqual({ duplicate: false });
      const got = await consumeN(queue, n, { concurrency: 5 });
      const keys = got.map(({ delivery }) => keyOf(delivery));
      expect(new Set(keys).size).toBe(n);
      expect(keys.sort()).toEqual(Array.from({ length: n }, (_, i) => dedupKey(sendWork(i))).sort());
      expect(got.every(({ delivery }) => delivery.deliveryCount === 1)).toBe(true);
      expect(await consumeN(queue, 1, { timeoutMs: 2_000 })).toEqual([]);
    });

    it('delivers a key published twice once, also after it was acked; another attempt is new work', async () => {
      const queue = await open(queueName());
      const work = sendWork(1, { messageId: 'dup' });
      expect(await queue.publish(work)).toEqual({ duplicate: false });
      expect(await queue.publish({ ...work, enqueuedAt: new Date().toISOString() })).toEqual({ duplicate: true });
      const first = await consumeN(queue, 2, { timeoutMs: 1_500 });
      expect(first.map(({ delivery }) => keyOf(delivery))).toEqual(['dup:out:1']);
      expect(await queue.publish(work)).toEqual({ duplicate: true });
      expect(await queue.publish({ ...work, attempt: 2 })).toEqual({ duplicate: false });
      const second = await consumeN(queue, 2, { timeoutMs: 1_500 });
      expect(second.map(({ delivery }) => keyOf(delivery))).toEqual(['dup:out:2']);
    });

    it('a reissue has its own key: published again inside the dedup window, it is delivered again', async () => {
      const queue = await open(queueName());
      const work = sendWork(1, { messageId: 'lost' });
      expect(await queue.publish(work)).toEqual({ duplicate: false });
      const [first] = await consumeN(queue, 1);
      expect(keyOf(first!.delivery)).toBe('lost:out:1');
      // The item is gone (acked, or lost with the queue); the same key would be dropped now.
      expect(await queue.publish(work)).toEqual({ duplicate: true });
      expect(await queue.publish({ ...work, reissue: 1_700_000_000_000 })).toEqual({ duplicate: false });
      expect(await queue.publish({ ...work, reissue: 1_700_000_000_000 })).toEqual({ duplicate: true });
      const [again] = await consumeN(queue, 1);
      expect(keyOf(again!.delivery)).toBe('lost:out:1:r1700000000000');
      expect(again!.delivery.work).toMatchObject({ messageId: 'lost', port: 'out', attempt: 1 });
    });

    it('hands out no more than the free slots of a shared capacity, and more as slots come free', async () => {
      const queue = await open(queueName());
      for (let i = 0; i < 6; i++) await queue.publish(sendWork(i));
      const capacity = new Capacity(4);
      // Other work of the process holds 2 of the 4 slots.
      expect(capacity.tryTake() && capacity.tryTake()).toBe(true);
      const controller = new AbortController();
      const got: WorkDelivery[] = [];
      const consuming = (async () => {
        for await (const delivery of queue.consume({ signal: controller.signal, capacity })) got.push(delivery);
      })();
      try {
        await waitUntil(() => got.length === 2);
        await sleep(700);
        expect(got).toHaveLength(2);
        expect(capacity.free).toBe(0);
        // The other work ends: its slots go to the queue.
        capacity.release();
        capacity.release();
        await waitUntil(() => got.length === 4);
        await sleep(700);
        expect(got).toHaveLength(4);
        // A delivery whose send is over frees its slot before it is settled, once.
        got[0]!.releaseSlot();
        got[0]!.releaseSlot();
        await waitUntil(() => got.length === 5);
        await got[0]!.ack();
        await sleep(700);
        expect(got).toHaveLength(5);
        expect(capacity.inUse).toBe(4);
        await Promise.all(got.map((d) => d.ack()));
        await waitUntil(() => got.length === 6);
      } finally {
        controller.abort();
        await consuming;
      }
      await got[5]!.ack();
      expect(capacity.inUse).toBe(0);
      expect(new Set(got.map(keyOf)).size).toBe(6);
    });

    it('refuses work that fails the SendWork schema, naming the field', async () => {
      const queue = await open(queueName());
      await expect(queue.publish({ ...sendWork(1), attempt: 0 })).rejects.toThrow(/attempt/);
      expect(await consumeN(queue, 1, { timeoutMs: 500 })).toEqual([]);
    });

    it('shares items between competing consumers: each acked once, both get some', async () => {
      const name = queueName();
      const publisher = await open(name);
      const consumers = [backgroundConsumer(await open(name), { concurrency: 4, workMs: 2 })];
      consumers.push(backgroundConsumer(await open(name), { concurrency: 4, workMs: 2 }));
      const n = 200;
      for (let i = 0; i < n; i++) await publisher.publish(sendWork(i));
      const deadline = Date.now() + 30_000;
      while (consumers[0]!.acked.length + consumers[1]!.acked.length < n && Date.now() < deadline) await sleep(20);
      await sleep(300);
      await Promise.all(consumers.map((c) => c.stop()));
      const all = [...consumers[0]!.acked, ...consumers[1]!.acked];
      expect(consumers.flatMap((c) => c.errors)).toEqual([]);
      expect(all.length).toBe(n);
      expect(new Set(all).size).toBe(n);
      expect(consumers[0]!.acked.length).toBeGreaterThan(0);
      expect(consumers[1]!.acked.length).toBeGreaterThan(0);
    });

    it('shares items between consumers in competing OS processes: each acked once, every process gets some', async () => {
      const name = queueName();
      const { location, options } = harness.target(name);
      const queue = await open(name);
      // Each item takes every consumer 20 ms, so no one of them can drain the 300 alone (1.5 s at
      // 4 at a time) before the others' next look at the queue, however busy the machine.
      const workMs = 20;
      const children = [
        await startChildConsumer(location, options ?? {}, 'ack', workMs),
        await startChildConsumer(location, options ?? {}, 'ack', workMs),
      ];
      const here = backgroundConsumer(queue, { concurrency: 4, workMs });
      try {
        const n = 300;
        for (let i = 0; i < n; i++) await queue.publish(sendWork(i));
        const ackedBy = () => [here.acked, ...children.map((c) => c.lines.map((line) => line.slice('acked '.length)))];
        const total = () => ackedBy().reduce((sum, keys) => sum + keys.length, 0);
        const deadline = Date.now() + 30_000;
        while (total() < n && Date.now() < deadline) await sleep(20);
        await sleep(300);
        await here.stop();
        const all = ackedBy().flat();
        expect(all.length).toBe(n);
        expect(new Set(all).size).toBe(n);
        expect(ackedBy().map((keys) => keys.length > 0)).toEqual([true, true, true]);
      } finally {
        for (const c of children) c.process.kill('SIGKILL');
      }
    });

    it('redelivers an item not acked within the ack wait, with deliveryCount 2', async () => {
      const queue = await open(queueName(), 1_000);
      await queue.publish(sendWork(1));
      const first = await takeOne(queue);
      expect(first?.delivery.deliveryCount).toBe(1);
      const again = await takeOne(queue);
      expect(again && keyOf(again.delivery)).toBe(keyOf(first!.delivery));
      expect(again!.delivery.deliveryCount).toBe(2);
      expect(again!.at - first!.at).toBeGreaterThanOrEqual(950);
      // Late: what it does differs per implementation (see the port), but it must not fail.
      await first!.delivery.ack();
      await again!.delivery.ack();
    });

    it('redelivers a nacked item after its delay, and after the backoff without one', async () => {
      const queue = await open(queueName());
      await queue.publish(sendWork(1));
      const first = await takeOne(queue);
      const nackedAt = Date.now();
      await first!.delivery.nack(1_500);
      const again = await takeOne(queue);
      expect(again!.at - nackedAt).toBeGreaterThanOrEqual(1_500);
      expect(again!.delivery.deliveryCount).toBe(2);
      await again!.delivery.nack();
      const third = await takeOne(queue, 5_000);
      expect(third?.delivery.deliveryCount).toBe(3);
      await third!.delivery.ack();
    });

    it('holds back an item until its notBefore', async () => {
      const queue = await open(queueName());
      const notBefore = Date.now() + 1_500;
      await queue.publish(sendWork(1, { notBefore: new Date(notBefore).toISOString() }));
      const got = await takeOne(queue);
      expect(got!.at).toBeGreaterThanOrEqual(notBefore);
      await got!.delivery.ack();
    });

    it('does not redeliver an item kept in progress past the ack wait', async () => {
      const name = queueName();
      const holder = await open(name, 1_000);
      await holder.publish(sendWork(1));
      const held = await takeOne(holder);
      expect(held).toBeDefined();
      const rival = backgroundConsumer(await open(name, 1_000));
      for (let elapsed = 0; elapsed < 2_800; elapsed += 300) {
        await sleep(300);
        await held!.delivery.inProgress();
      }
      await held!.delivery.ack();
      await sleep(1_500);
      await rival.stop();
      expect(rival.acked).toEqual([]);
      expect(rival.errors).toEqual([]);
    });

    it('redelivers the item of a consumer process killed mid-item to the survivor', async () => {
      const name = queueName();
      const { location, options } = harness.target(name);
      // Long enough that the child's item cannot come back before the kill, short for the test.
      const ackWaitMs = 2_000;
      const queue = await open(name, ackWaitMs);
      const child = await startChildConsumer(location, { ...options, ackWaitMs });
      try {
        await queue.publish(sendWork(1));
        const taken = await child.nextItem();
        expect(taken).toEqual({ key: dedupKey(sendWork(1)), deliveryCount: 1 });
        const survivor = consumeN(queue, 1, { timeoutMs: 15_000 });
        await sleep(200);
        const killedAt = Date.now();
        child.process.kill('SIGKILL');
        const [got] = await survivor;
        expect(got && keyOf(got.delivery)).toBe(taken.key);
        expect(got!.delivery.deliveryCount).toBe(2);
        expect(got!.at).toBeGreaterThanOrEqual(killedAt);
      } finally {
        child.process.kill('SIGKILL');
      }
    });

    it('ends iterations on close and refuses calls after it', async () => {
      const queue = await open(queueName());
      const iteration = consumeN(queue, 1, { timeoutMs: 30_000 });
      await sleep(100);
      expect(queue.isHealthy()).toBe(true);
      await queue.close();
      expect(await iteration).toEqual([]);
      expect(queue.isHealthy()).toBe(false);
      await expect(queue.publish(sendWork(1))).rejects.toMatchObject({ code: 'WORK_QUEUE_CLOSED' });
    });
  });
}
