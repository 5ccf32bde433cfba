import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../src/domain/events/index.js';
import { WrongExpectedRevision } from '../../../src/store/errors.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { Deposed, LeaseManager, type HeldLease } from '../../../src/workers/lease/index.js';
import { GatedStore } from '../../support/gated-store.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryBackend, type MemoryEventStore } from '../../support/memory-event-store.js';

const resource = 'location-ftp-in';
const location = 'location-ftp-in';
const ttl = { ttlMs: 1000, renewEveryMs: 300, safetyMarginMs: 200 };

function claim(n: number): NewEvent {
  return makeEvent(
    'FileClaimed',
    { location: 'ftp-in', path: `/in/${n}.xml`, size: n, mtime: '2026-01-01T00:00:00Z', messageId: `m${n}` },
    { actor: 'test' },
  );
}

async function take(store: MemoryEventStore | GatedStore, holder: string, clock: ManualClock): Promise<HeldLease> {
  const manager = new LeaseManager(store, { resource, holder, ...ttl }, clock);
  await manager.observe();
  const held = await manager.tryTake();
  if (held) return held;
  await clock.advance(1000);
  await manager.observe();
  return (await manager.tryTake())!;
}

async function refusal(promise: Promise<unknown>): Promise<Deposed> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Deposed);
  return error as Deposed;
}

describe('fenced stream', () => {
  it('first appends FenceRaised, then every write carries the fence and expects the revision it last wrote', async () => {
    const backend = new MemoryBackend();
    const store = backend.client();
    await store.append(location, [claim(0)], 'no_stream'); // written before any lease existed
    const held = await take(store, 'a', new ManualClock());
    const fenced = await held.fence(location);
    expect(fenced.revision).toBe(1n);
    await fenced.append([claim(1)]);
    await fenced.append([claim(2), claim(3)]);
    expect(fenced.revision).toBe(4n);
    const events = await store.readStream(location);
    expect(events.map((e) => e.type)).toEqual([
      'FileClaimed',
      'FenceRaised',
      'FileClaimed',
      'FileClaimed',
      'FileClaimed',
    ]);
    expect(events[1]!.data).toEqual({ resource, holder: 'a', term: 1 });
    for (const event of events.slice(1)) expect(event.metadata.fence).toEqual({ lease: resource, term: 1 });
    expect(await held.fence(location)).toBe(fenced); // one fenced stream per term and stream
  });

  it("refuses a deposed holder's write even when its last write is still the stream's head", async () => {
    const backend = new MemoryBackend();
    const clockA = new ManualClock(); // a is frozen: its clock stands still
    const a = await take(backend.client(), 'a', clockA);
    const fencedA = await a.fence(location);
    await fencedA.append([claim(1)]);
    const b = await take(backend.client(), 'b', new ManualClock());
    expect(b.term).toBe(2);
    // Before b raises its fence, a's last write is the head: revision fencing alone would let a write.
    expect(await backend.client().streamRevision(location)).toBe(fencedA.revision);
    const fencedB = await b.fence(location);
    const error = await refusal(fencedA.append([claim(2)]));
    expect(error).toMatchObject({ code: 'DEPOSED', reason: 'fenced', term: 1, stream: location });
    expect(error.cause).toBeInstanceOf(WrongExpectedRevision);
    // The refusal ended a's term: its handler's signal aborted, and it writes nothing more.
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toMatchObject({ code: 'LEASE_LOST', reason: 'fenced' });
    await fencedB.append([claim(3)]);
    const events = await backend.client().readStream(location);
    expect(events.map((e) => [e.type, e.metadata.fence?.term])).toEqual([
      ['FenceRaised', 1],
      ['FileClaimed', 1],
      ['FenceRaised', 2],
      ['FileClaimed', 2],
    ]);
  });

  it('refuses to raise a fence over a newer term of the same lease', async () => {
    const backend = new MemoryBackend();
    const a = await take(backend.client(), 'a', new ManualClock());
    const b = await take(backend.client(), 'b', new ManualClock());
    await b.fence(location);
    const error = await refusal(a.fence(location));
    expect(error.reason).toBe('fenced');
    expect(a.held).toBe(false);
    expect((await backend.client().readStream(location)).length).toBe(1);
  });

  it('refuses a write after the deadline without reaching the store, even if no timer has fired yet', async () => {
    const backend = new MemoryBackend();
    const gated = new GatedStore(backend.client(), location);
    const clock = new ManualClock();
    const held = await take(gated, 'a', clock);
    const fenced = await held.fence(location);
    const seen = gated.appendsSeen.length;
    clock.jump(800); // the event loop was stalled: time passed, the deadline timer has not run
    const error = await refusal(fenced.append([claim(1)]));
    expect(error.reason).toBe('deadline');
    expect(gated.appendsSeen.length).toBe(seen);
    expect(held.signal.reason).toMatchObject({ reason: 'deadline' });
  });

  it('runs concurrent appends one after the other instead of failing them as conflicts', async () => {
    const backend = new MemoryBackend();
    const held = await take(backend.client(), 'a', new ManualClock());
    const fenced = await held.fence(location);
    await Promise.all([1, 2, 3, 4, 5].map((n) => fenced.append([claim(n)])));
    const events = await backend.client().readStream(location);
    expect(events.map((e) => (e.data as { size?: number }).size)).toEqual([undefined, 1, 2, 3, 4, 5]);
    expect(held.held).toBe(true);
  });

  it('after an append whose answer was lost, adopts it if it was written, and is not fooled into a conflict', async () => {
    const backend = new MemoryBackend();
    const gated = new GatedStore(backend.client(), location);
    const held = await take(gated, 'a', new ManualClock());
    const fenced = await held.fence(location);
    gated.inject('fail-after-write');
    await expect(fenced.append([claim(1)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await fenced.append([claim(2)]);
    gated.inject('fail');
    await expect(fenced.append([claim(3)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await fenced.append([claim(4)]);
    const events = await backend.client().readStream(location);
    expect(events.map((e) => (e.data as { size?: number }).size)).toEqual([undefined, 1, 2, 4]);
    expect(held.held).toBe(true);
  });

  it('a release waits for fenced writes in flight, so none lands after it', async () => {
    const backend = new MemoryBackend();
    const gated = new GatedStore(backend.client(), location);
    const held = await take(gated, 'a', new ManualClock());
    const fenced = await held.fence(location);
    gated.inject('hold');
    const writing = fenced.append([claim(1)]);
    const releasing = held.release('dependency_unhealthy');
    const late = fenced.append([claim(2)]);
    gated.open();
    await writing;
    await expect(late).rejects.toMatchObject({ code: 'DEPOSED', reason: 'dependency_unhealthy' });
    expect(await releasing).toBe(true);
    const all: string[] = [];
    // the lease's history log gets a copy of the release after it; it is not a fenced stream
    for await (const e of backend.client().readAll())
      if (!e.streamId.startsWith('leaselog-')) all.push(`${e.streamId}:${e.type}`);
    expect(all.slice(-2)).toEqual([`${location}:FileClaimed`, `lease-${resource}:LeaseReleased`]);
  });
});
