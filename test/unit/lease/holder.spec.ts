import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../src/store/make-event.js';
import { LeaseLost, LeaseManager, type HeldLease } from '../../../src/workers/lease/index.js';
import { GatedStore } from '../../support/gated-store.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryBackend } from '../../support/memory-event-store.js';

const resource = 'port-orders-out';
const stream = `lease-${resource}`;
// ttl 1000, renew every 300, margin 200: a holder's deadline is (send time of its last
// acknowledged renewal) + 800.
const options = { resource, holder: 'a', ttlMs: 1000, renewEveryMs: 300, safetyMarginMs: 200 };

async function holding(): Promise<{ held: HeldLease; clock: ManualClock; gated: GatedStore; backend: MemoryBackend }> {
  const backend = new MemoryBackend();
  const gated = new GatedStore(backend.client(), stream);
  const clock = new ManualClock();
  const manager = new LeaseManager(gated, options, clock);
  await manager.observe();
  const held = (await manager.tryTake())!;
  return { held, clock, gated, backend };
}

function lossOf(held: HeldLease): LeaseLost | undefined {
  return held.signal.aborted ? (held.signal.reason as LeaseLost) : undefined;
}

describe('lease holder: renewals', () => {
  it('renews every renewEveryMs, each append expecting the revision of its own last lease write', async () => {
    const { held, clock, gated, backend } = await holding();
    await clock.advance(1000);
    const events = await backend.client().readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseRenewed', 'LeaseRenewed', 'LeaseRenewed']);
    expect(events.slice(1).map((e) => e.data)).toEqual(
      Array.from({ length: 3 }, () => ({ resource, holder: 'a', term: 1, ttlMs: 1000 })),
    );
    expect(gated.appendsSeen.map((a) => a.expected)).toEqual(['no_stream', 0n, 1n, 2n]);
    expect(held.held).toBe(true);
    expect(held.deadlineAt).toBe(900 + 800);
  });

  it('stops the moment a renewal conflicts, not at its deadline', async () => {
    const { held, clock, backend } = await holding();
    await clock.advance(250);
    // Somebody else moved the lease stream (a contender that judged the lease expired).
    await backend
      .client()
      .append(
        stream,
        [
          makeEvent(
            'LeaseTakenOver',
            { resource, previousHolder: 'a', holder: 'b', term: 2, ttlMs: 1000, reason: 'expired' },
            { actor: 'b' },
          ),
        ],
        0n,
      );
    await clock.advance(49);
    expect(lossOf(held)).toBeUndefined();
    await clock.advance(1);
    expect(lossOf(held)).toBeInstanceOf(LeaseLost);
    expect(lossOf(held)).toMatchObject({ code: 'LEASE_LOST', reason: 'renewal_conflict', term: 1 });
    expect(held.held).toBe(false);
    expect(clock.now()).toBeLessThan(held.deadlineAt);
  });

  it('stops at the send time of its last acknowledged renewal plus ttl minus margin when no renewal gets through', async () => {
    const { held, clock, gated } = await holding();
    // The renewal sent at 300 is acknowledged only at 700; the one sent at 600 never is.
    gated.inject('hold-ack');
    await clock.advance(700);
    gated.open();
    gated.inject('hold', { every: true });
    await clock.advance(1);
    expect(held.deadlineAt).toBe(300 + 800); // from when it was sent, not from the late acknowledgement
    await clock.advanceTo(1099);
    expect(lossOf(held)).toBeUndefined();
    await clock.advanceTo(1100);
    expect(lossOf(held)).toMatchObject({ reason: 'deadline' });
  });

  it('stays stopped when a renewal it gave up on is acknowledged after the deadline', async () => {
    const { held, clock, gated, backend } = await holding();
    gated.inject('hold-ack', { every: true });
    await clock.advance(2000);
    expect(lossOf(held)).toMatchObject({ reason: 'deadline' });
    gated.open();
    await clock.advance(1000);
    expect(held.held).toBe(false);
    expect(lossOf(held)).toMatchObject({ reason: 'deadline' });
    // The late renewal is in the stream; nothing after it: the holder stopped renewing.
    const events = await backend.client().readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseRenewed']);
    expect(await held.release('shutdown')).toBe(false);
  });

  it('retries a renewal whose answer was lost with the same event, so the retry is not a conflict', async () => {
    const { held, clock, gated, backend } = await holding();
    gated.inject('fail-after-write');
    await clock.advance(300);
    await clock.advance(75); // the retry, renewEveryMs / 4 later
    expect(held.held).toBe(true);
    const events = await backend.client().readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseRenewed']);
    await clock.advance(600);
    expect(held.held).toBe(true);
    expect((await backend.client().readStream(stream)).length).toBe(4);
  });

  it('counts its deadline from the first send of a renewal that had to be retried', async () => {
    const { held, clock, gated } = await holding();
    gated.inject('fail-after-write');
    await clock.advance(300); // sent (and written) at 300, the answer lost
    await clock.advance(75); // retried at 375: the same event, acknowledged as already written
    expect(held.held).toBe(true);
    expect(held.deadlineAt).toBe(300 + 800);
  });

  it('reports the timing of each acknowledged renewal', async () => {
    const backend = new MemoryBackend();
    const gated = new GatedStore(backend.client(), stream);
    const clock = new ManualClock();
    const timings: unknown[] = [];
    const manager = new LeaseManager(gated, { ...options, onRenewal: (t) => timings.push(t) }, clock);
    await manager.observe();
    await manager.tryTake();
    gated.inject('hold-ack');
    await clock.advance(340);
    gated.open();
    await clock.advance(1);
    expect(timings).toEqual([{ term: 1, lateMs: 0, ackMs: 40, slackMs: 800 - 340 }]);
  });

  it('keeps retrying a store that fails, and stops at its deadline if none gets through', async () => {
    const { held, clock, gated } = await holding();
    gated.inject('fail', { every: true });
    await clock.advanceTo(799);
    expect(held.held).toBe(true);
    await clock.advanceTo(800);
    expect(lossOf(held)).toMatchObject({ reason: 'deadline' });
    expect(gated.appendsSeen.length).toBeGreaterThan(3);
  });
});

describe('lease holder: release', () => {
  it('aborts first, waits for a renewal in flight, then records the release expecting it', async () => {
    const { held, clock, gated, backend } = await holding();
    gated.inject('hold');
    await clock.advance(300); // a renewal is now in flight, unwritten
    const releasing = held.release('shutdown');
    expect(lossOf(held)).toMatchObject({ reason: 'shutdown' });
    gated.open();
    expect(await releasing).toBe(true);
    const events = await backend.client().readStream(stream);
    expect(events.map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseRenewed', 'LeaseReleased']);
    expect(events[2]!.data).toMatchObject({ holder: 'a', term: 1, reason: 'shutdown' });
    await clock.advance(2000);
    expect((await backend.client().readStream(stream)).length).toBe(3);
  });
});
