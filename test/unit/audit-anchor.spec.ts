import { describe, expect, it } from 'vitest';
import { ANCHOR_STREAM, anchorHash, entryOf } from '../../src/audit/anchor-format.js';
import { AnchorWriter, runAnchorLoop, writeAnchor } from '../../src/audit/anchor-writer.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { silentLogger } from '../../src/workers/logger.js';
import { noteEvent } from '../support/events.js';
import { MemoryBackend } from '../support/memory-event-store.js';

async function all(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

async function anchors(store: EventStore) {
  return (await store.readStream(ANCHOR_STREAM)).map((e) => {
    if (e.type !== 'AuditAnchored') throw new Error(e.type);
    return e.data;
  });
}

describe('audit anchors (through the port, on the in-memory store)', () => {
  it('writes nothing on an empty store', async () => {
    const store = new MemoryBackend().client();
    expect(await writeAnchor(store)).toEqual({ written: 0 });
  });

  it('covers the hashed events of streams without retention, in global order, and chains anchors', async () => {
    const store = new MemoryBackend().client();
    await store.setStreamMetadata('lease-x', { maxCount: 2 });
    await store.append('message-a', [noteEvent(0)], 'no_stream');
    await store.append('lease-x', [noteEvent(1)], 'no_stream');
    await store.append('message-b', [noteEvent(2), noteEvent(3)], 'no_stream');
    const first = await writeAnchor(store);
    expect(first.written).toBe(1);

    const events = await all(store);
    const covered = events.filter((e) => e.streamId.startsWith('message-'));
    const [anchor] = await anchors(store);
    const hashes = covered.map((e) => e.hash!);
    expect(anchor).toMatchObject({
      after: '0',
      upTo: String(events[3]!.position),
      count: 3,
      previousAnchorHash: '0'.repeat(64),
      anchorHash: anchorHash('0'.repeat(64), 0n, events[3]!.position, hashes),
      entries: covered.map((e) => entryOf({ stream: e.streamId, revision: e.revision, hash: e.hash! })).join(' '),
    });

    // The anchor itself is new, but anchoring only it would never end.
    expect(await writeAnchor(store)).toEqual({ written: 0 });
    await store.append('message-a', [noteEvent(4)], 0n);
    await writeAnchor(store);
    const [, second] = await anchors(store);
    expect(second).toMatchObject({ after: anchor!.upTo, previousAnchorHash: anchor!.anchorHash, count: 2 });
  });

  it('splits a long backlog into anchors of at most maxEvents', async () => {
    const store = new MemoryBackend().client();
    for (let i = 0; i < 12; i++) await store.append(`message-${i}`, [noteEvent(i)], 'no_stream');
    expect((await writeAnchor(store, { maxEvents: 5 })).written).toBe(3);
    const written = await anchors(store);
    expect(written.map((a) => a.count)).toEqual([5, 5, 4]); // the last also covers the first two anchors
    for (let i = 1; i < written.length; i++) {
      expect(written[i]!.after).toBe(written[i - 1]!.upTo);
      expect(written[i]!.previousAnchorHash).toBe(written[i - 1]!.anchorHash);
    }
  });

  it('of two writers racing, one wins; the other re-reads and finds nothing left to anchor', async () => {
    const backend = new MemoryBackend();
    await backend.client().append('message-a', [noteEvent(0)], 'no_stream');
    const outcomes = await Promise.all([
      new AnchorWriter(backend.client()).writeOne(),
      new AnchorWriter(backend.client()).writeOne(),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['lost-race', 'written']);
    expect(await writeAnchor(backend.client())).toEqual({ written: 0 });
    expect(await anchors(backend.client())).toHaveLength(1);
  });

  it('runAnchorLoop anchors new events each interval and ends when aborted', async () => {
    const store = new MemoryBackend().client();
    const controller = new AbortController();
    const loop = runAnchorLoop(store, { intervalMs: 10, signal: controller.signal, logger: silentLogger });
    await store.append('message-a', [noteEvent(0)], 'no_stream');
    while ((await anchors(store)).length === 0) await new Promise((r) => setTimeout(r, 5));
    await store.append('message-b', [noteEvent(1)], 'no_stream');
    while ((await anchors(store)).length < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await loop;
    const [a, b] = await anchors(store);
    expect(b!.previousAnchorHash).toBe(a!.anchorHash);
  });

  it('runAnchorLoop anchors before the interval once a full anchor of events is waiting', async () => {
    const store = new MemoryBackend().client();
    const controller = new AbortController();
    const loop = runAnchorLoop(store, {
      intervalMs: 600_000,
      backlogCheckMs: 5,
      maxEvents: 3,
      signal: controller.signal,
      logger: silentLogger,
    });
    await new Promise((r) => setTimeout(r, 20));
    await store.append('message-a', [noteEvent(0), noteEvent(1)], 'no_stream');
    // Two waiting, fewer than a full anchor: they wait for the interval.
    await new Promise((r) => setTimeout(r, 100));
    expect(await anchors(store)).toHaveLength(0);
    await store.append('message-b', [noteEvent(2)], 'no_stream');
    while ((await anchors(store)).length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await loop;
    const [first] = await anchors(store);
    expect(first!.count).toBe(3);
    expect(first!.upTo).toBe('3');
  });
});
