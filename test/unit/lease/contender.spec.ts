import { describe, expect, it } from 'vitest';
import { LeaseManager } from '../../../src/workers/lease/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryBackend } from '../../support/memory-event-store.js';

const resource = 'location-ftp-in';
const stream = `lease-${resource}`;

/** A holder whose clock never moves: its timers never fire, as if the process had died. */
async function deadHolder(backend: MemoryBackend, ttlMs = 1000) {
  const manager = new LeaseManager(backend.client(), { resource, holder: 'a', ttlMs }, new ManualClock());
  await manager.observe();
  const held = await manager.tryTake();
  expect(held?.term).toBe(1);
  return held!;
}

describe('lease contender: expiry on its own monotonic clock', () => {
  it('takes over only once the revision has stood still for the ttl since it first saw it', async () => {
    const backend = new MemoryBackend();
    await deadHolder(backend);
    const clock = new ManualClock();
    const b = new LeaseManager(backend.client(), { resource, holder: 'b', ttlMs: 1000 }, clock);

    await b.observe();
    expect(await b.tryTake()).toBeUndefined();
    await clock.advance(999);
    expect((await b.observe()).unchangedForMs).toBe(999);
    expect(await b.tryTake()).toBeUndefined();
    await clock.advance(1);
    await b.observe();
    const held = await b.tryTake();
    expect(held?.term).toBe(2);
    const [, takeover] = await backend.client().readStream(stream);
    expect(takeover).toMatchObject({
      type: 'LeaseTakenOver',
      data: { previousHolder: 'a', holder: 'b', term: 2, reason: 'expired', ttlMs: 1000 },
    });
  });

  it('starts waiting again from every change of revision it observes', async () => {
    const backend = new MemoryBackend();
    const holderClock = new ManualClock();
    const a = new LeaseManager(
      backend.client(),
      { resource, holder: 'a', ttlMs: 1000, renewEveryMs: 300 },
      holderClock,
    );
    await a.observe();
    const held = (await a.tryTake())!;
    const clock = new ManualClock();
    const b = new LeaseManager(backend.client(), { resource, holder: 'b', ttlMs: 1000 }, clock);

    await b.observe();
    await clock.advance(900);
    await holderClock.advance(300); // a renews
    expect((await b.observe()).unchangedForMs).toBe(0);
    await clock.advance(999);
    await b.observe();
    expect(await b.tryTake()).toBeUndefined();
    await clock.advance(1);
    await b.observe();
    expect((await b.tryTake())?.term).toBe(2);
    expect(held.held).toBe(true); // a's clock has not moved: it would find out on its next renewal
  });

  it("waits the holder's ttl, not its own, and a whole one even if it starts long after the last renewal", async () => {
    const backend = new MemoryBackend();
    await deadHolder(backend, 3000);
    const clock = new ManualClock();
    clock.jump(1_000_000); // this contender's clock origin has nothing to do with the holder's
    const b = new LeaseManager(backend.client(), { resource, holder: 'b', ttlMs: 500 }, clock);
    await b.observe();
    await clock.advance(2999);
    const observation = await b.observe();
    expect(observation.ttlMs).toBe(3000);
    expect(await b.tryTake()).toBeUndefined();
    await clock.advance(1);
    await b.observe();
    expect((await b.tryTake())?.term).toBe(2);
  });

  it('of two contenders deciding on the same observation, exactly one wins', async () => {
    const backend = new MemoryBackend();
    await deadHolder(backend);
    const clock = new ManualClock();
    const b = new LeaseManager(backend.client(), { resource, holder: 'b', ttlMs: 1000 }, clock);
    const c = new LeaseManager(backend.client(), { resource, holder: 'c', ttlMs: 1000 }, clock);
    await Promise.all([b.observe(), c.observe()]);
    await clock.advance(1000);
    await Promise.all([b.observe(), c.observe()]);
    const results = await Promise.all([b.tryTake(), c.tryTake()]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await backend.client().streamRevision(stream)).toBe(1n);
  });

  it('acquires a free lease at once, and a released one at once with the release reason shown', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const a = new LeaseManager(backend.client(), { resource, holder: 'a', ttlMs: 1000 }, clock);
    await a.observe();
    const held = (await a.tryTake())!;
    expect(await held.release('dependency_unhealthy')).toBe(true);
    const b = new LeaseManager(backend.client(), { resource, holder: 'b', ttlMs: 1000 }, clock);
    await b.observe();
    expect((await b.tryTake())?.term).toBe(2);
    const events = await backend.client().readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseReleased', 'LeaseTakenOver']);
    expect(events[2]!.data).toMatchObject({ previousHolder: 'a', holder: 'b', reason: 'dependency_unhealthy' });
  });

  it('keeps the lease stream to keepEvents events whatever the uptime, and still folds it right', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const a = new LeaseManager(backend.client(), { resource, holder: 'a', ttlMs: 900, keepEvents: 5 }, clock);
    await a.observe();
    const held = (await a.tryTake())!;
    await clock.advance(300 * 60); // 60 renewals
    expect(held.held).toBe(true);
    const store = backend.client();
    const events = await store.readStream(stream);
    expect(events).toHaveLength(5);
    expect(await store.streamRevision(stream)).toBe(60n);
    expect(await store.getStreamMetadata(stream)).toEqual({ maxCount: 5 });
    const b = new LeaseManager(store, { resource, holder: 'b', ttlMs: 900 }, new ManualClock());
    expect((await b.observe()).state).toEqual({ status: 'held', holder: 'a', term: 1, ttlMs: 900 });
  });
});
