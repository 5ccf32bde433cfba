import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { makeEvent } from '../../src/store/make-event.js';
import { OrderedBacklog } from '../../src/workers/ordered/backlog.js';
import { takeAsNewHolder } from '../support/fresh-holder.js';
import { MemoryBackend } from '../support/memory-event-store.js';

const port = 'journal';

async function holder(backend: MemoryBackend, name: string, every: number) {
  const { store, held } = await takeAsNewHolder(backend, `port-${port}`, name);
  const fenced = await held.fence(`port-${port}`);
  store.eventsRead = 0;
  return { store, backlog: await OrderedBacklog.load(store, port, fenced, name, every) };
}

/** A routing event at `position` that routes message `m{n}` to the port. */
function routed(n: number, position: number): RecordedEvent {
  const event = makeEvent(
    'MessageReceived',
    {
      messageId: `m${n}`,
      receiveLocation: 'in',
      adapter: 'file',
      body: { inline: 'x' },
      context: { promoted: {}, written: {} },
      routing: { sendPorts: [port], subscriptions: [port] },
    } as never,
    { actor: 'test' },
  );
  return { ...event, stream: `message-m${n}`, revision: 0n, position: BigInt(position) } as unknown as RecordedEvent;
}

describe('ordered backlog checkpoints', () => {
  it('a new holder starts where the sender had got to, reading back only to the latest checkpoint', async () => {
    const backend = new MemoryBackend();
    const first = await holder(backend, 'a', 10);
    for (let n = 0; n < 45; n++) await first.backlog.offer(routed(n, 100 + n));
    for (let next = 1; next <= 33; next++) await first.backlog.movedTo(next);
    // Checkpoints at 10, 20 and 30; the entries before 30 are forgotten.
    expect(first.backlog.start).toBe(30);
    expect(first.backlog.at(29)).toBeUndefined();
    expect(first.backlog.at(30)).toEqual({ sequence: 30, messageId: 'm30' });
    const stream = await backend.client().readStream(`port-${port}`);
    expect(stream.filter((e) => e.type === 'BacklogCheckpointed').map((e) => e.data)).toEqual([
      { port, nextSequence: 10, routedAt: '144' },
      { port, nextSequence: 20, routedAt: '144' },
      { port, nextSequence: 30, routedAt: '144' },
    ]);

    const second = await holder(backend, 'b', 10);
    expect(second.backlog.start).toBe(30);
    expect(second.backlog.length).toBe(45);
    expect(second.backlog.at(30)).toEqual({ sequence: 30, messageId: 'm30' });
    expect(second.backlog.at(44)).toEqual({ sequence: 44, messageId: 'm44' });
    expect(second.backlog.checkpoint).toBe(144n);
    // Back to the entry before 30, within one first page of 32 events: not the whole stream (50).
    expect(second.store.eventsRead).toBeLessThanOrEqual(32);
    // It goes on numbering after the last entry.
    await second.backlog.offer(routed(45, 145));
    expect(second.backlog.at(45)).toEqual({ sequence: 45, messageId: 'm45' });
  });

  it('entries enqueued before a checkpoint but not moved past are loaded, and a stream without one loads whole', async () => {
    const backend = new MemoryBackend();
    const first = await holder(backend, 'a', 5);
    for (let n = 0; n < 8; n++) await first.backlog.offer(routed(n, 10 + n));
    // The checkpoint (at 5) is written after entries 5–7, which it had not passed.
    for (let next = 1; next <= 5; next++) await first.backlog.movedTo(next);
    const second = await holder(backend, 'b', 5);
    expect(second.backlog.start).toBe(5);
    expect([5, 6, 7].map((s) => second.backlog.at(s)?.messageId)).toEqual(['m5', 'm6', 'm7']);
    expect(second.backlog.length).toBe(8);

    const fresh = new MemoryBackend();
    const a = await holder(fresh, 'a', 1_000);
    for (let n = 0; n < 3; n++) await a.backlog.offer(routed(n, 1 + n));
    const b = await holder(fresh, 'b', 1_000);
    expect(b.backlog.start).toBe(0);
    expect(b.backlog.length).toBe(3);
    expect(b.backlog.checkpoint).toBe(3n);
  });

  it('notes a resumed send of the port that the sender had moved past, with its sequence when it still knows it', async () => {
    const backend = new MemoryBackend();
    const { backlog } = await holder(backend, 'a', 1_000);
    for (let n = 0; n < 3; n++) await backlog.offer(routed(n, 1 + n));
    const resumed = (messageId: string, position: number) =>
      ({
        ...makeEvent('MessageResumed', { messageId, port }, { actor: 'user:ops' }),
        stream: `message-${messageId}`,
        revision: 3n,
        position: BigInt(position),
      }) as unknown as RecordedEvent;
    await backlog.offer(resumed('m1', 10));
    await backlog.offer(resumed('gone', 11));
    await backlog.offer(resumed('m2', 12));
    const behind = backlog.resumedBehind(2);
    expect(behind).toEqual([
      { messageId: 'm1', sequence: 1 },
      { messageId: 'gone', sequence: -1 },
    ]);
    // Until they are sent again, what is recorded as looked at stays before the first of them, so
    // that a new holder after a crash sees that resume again.
    await backlog.offer(routed(3, 20));
    backlog.resumedDone(behind[0]!);
    await backlog.offer(routed(4, 21));
    backlog.resumedDone(behind[1]!);
    await backlog.offer(routed(5, 22));
    expect(backlog.resumedBehind(2)).toEqual([]);
    const enqueued = (await backend.client().readStream(`port-${port}`)).filter((e) => e.type === 'MessageEnqueued');
    expect(enqueued.slice(-3).map((e) => (e.data as { routedAt: string }).routedAt)).toEqual(['9', '10', '22']);
    expect(backlog.checkpoint).toBe(22n);
  });
});
