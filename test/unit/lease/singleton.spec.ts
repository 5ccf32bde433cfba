import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../../src/store/make-event.js';
import { sleep } from '../../../src/workers/lease/clock.js';
import {
  runSingleton,
  type Clock,
  type Dependency,
  type SingletonContext,
  type SingletonWorker,
  type WorkerState,
} from '../../../src/workers/lease/index.js';
import { GatedStore } from '../../support/gated-store.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryBackend } from '../../support/memory-event-store.js';

const resource = 'location-pop3-in';
const leaseStream = `lease-${resource}`;
const location = 'location-pop3-in';

interface Node {
  worker: SingletonWorker;
  states: WorkerState[];
  runs: { term: number; ended?: string }[];
  healthy: { value: boolean };
}

/** A worker whose handler claims a mail every 100 ms through its fenced stream until aborted. */
function node(backend: MemoryBackend, clock: Clock, holder: string, extra: { dependency?: boolean } = {}): Node {
  const states: WorkerState[] = [];
  const runs: Node['runs'] = [];
  const healthy = { value: true };
  const dependency: Dependency = {
    name: 'pop3-server',
    check: () => Promise.resolve(healthy.value),
  };
  const handler = async (ctx: SingletonContext) => {
    const run: Node['runs'][number] = { term: ctx.term };
    runs.push(run);
    const fenced = await ctx.fence(location);
    let n = 0;
    while (!ctx.signal.aborted) {
      await fenced
        .append([
          makeEvent(
            'MailClaimed',
            { location: 'pop3-in', uidl: `${holder}-${n}`, messageId: `${holder}-${n++}` },
            { actor: holder },
          ),
        ])
        .catch(() => undefined);
      await sleep(clock, 100, ctx.signal);
    }
    run.ended = (ctx.signal.reason as { reason: string }).reason;
  };
  const worker = runSingleton(backend.client(), {
    resource,
    holder,
    ttlMs: 1000,
    renewEveryMs: 300,
    safetyMarginMs: 200,
    pollEveryMs: 50,
    healthEveryMs: 100,
    clock,
    handler,
    onTransition: (s) => states.push(s),
    ...(extra.dependency ? { dependencies: [dependency] } : {}),
  });
  return { worker, states, runs, healthy };
}

async function leaseEvents(backend: MemoryBackend) {
  return (await backend.client().readStream(leaseStream)).map((e) => ({ type: e.type, ...e.data }));
}

describe('singleton worker', () => {
  it('runs the handler on one instance; on shutdown the next takes over at once, reason released', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const a = node(backend, clock, 'a');
    await clock.advance(10);
    const b = node(backend, clock, 'b');
    await clock.advance(2000);
    expect(a.worker.state).toEqual({ kind: 'holding', term: 1 });
    expect(b.worker.state).toMatchObject({ kind: 'contending', healthy: true });
    expect(b.runs).toEqual([]);

    const stopping = a.worker.stop();
    await clock.advance(60);
    await stopping;
    expect(a.runs).toEqual([{ term: 1, ended: 'shutdown' }]);
    expect(a.states.map((s) => s.kind)).toEqual(['contending', 'holding', 'releasing', 'stopped']);
    expect(b.worker.state).toEqual({ kind: 'holding', term: 2 });
    expect((await leaseEvents(backend)).slice(-2)).toMatchObject([
      { type: 'LeaseReleased', holder: 'a', term: 1, reason: 'shutdown' },
      { type: 'LeaseTakenOver', previousHolder: 'a', holder: 'b', term: 2, reason: 'released' },
    ]);
    await b.worker.stop();
  });

  it('a holder frozen past its ttl is taken over; on waking its write is refused and its handler stops', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const clockA = clock.process();
    const a = node(backend, clockA, 'a');
    await clock.advance(500);
    const b = node(backend, clock, 'b');
    await clock.advance(10);
    clockA.freeze();
    // b first saw a's renewal (written at 300) at 500: it waits a whole ttl from then, not from 300.
    await clock.advanceTo(1490);
    expect(b.worker.state.kind).toBe('contending');
    await clock.advanceTo(1560);
    expect(b.worker.state).toEqual({ kind: 'holding', term: 2 });
    await clock.advance(500);
    await clockA.thaw();
    expect(a.runs).toEqual([{ term: 1, ended: 'deadline' }]);
    expect(a.states.map((s) => s.kind)).toEqual(['contending', 'holding', 'lost', 'contending']);
    await clock.advance(2000);
    expect(b.worker.state).toEqual({ kind: 'holding', term: 2 });
    const claims = await backend.client().readStream(location);
    const byTerm = (term: number) => claims.filter((e) => e.metadata.fence?.term === term);
    expect(byTerm(1).length).toBeGreaterThan(0);
    expect(byTerm(1).every((e) => e.metadata.actor === 'a')).toBe(true);
    expect(byTerm(2).every((e) => e.metadata.actor === 'b')).toBe(true);
    // No write of term 1 after the first of term 2.
    const terms = claims.map((e) => e.metadata.fence?.term);
    expect(terms.slice(terms.indexOf(2)).every((t) => t === 2)).toBe(true);
    await Promise.all([a.worker.stop(), b.worker.stop(), clock.advance(100)]);
  });

  it('bids only while its dependencies are healthy; a holder whose dependency fails hands over at once', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const a = node(backend, clock, 'a', { dependency: true });
    await clock.advance(200);
    expect(a.worker.state).toEqual({ kind: 'holding', term: 1 });
    const b = node(backend, clock, 'b', { dependency: true });
    b.healthy.value = false;
    await clock.advance(200);
    expect(b.worker.state).toEqual({ kind: 'contending', healthy: false, failing: ['pop3-server'] });

    // a's server fails while b's is still down: a lets go, and nobody takes the lease.
    a.healthy.value = false;
    await clock.advance(200);
    expect(a.runs).toEqual([{ term: 1, ended: 'dependency_unhealthy' }]);
    await clock.advance(3000);
    expect(a.worker.state).toMatchObject({ kind: 'contending', healthy: false });
    expect(b.worker.state).toMatchObject({ kind: 'contending', healthy: false });
    expect((await leaseEvents(backend)).at(-1)).toMatchObject({
      type: 'LeaseReleased',
      reason: 'dependency_unhealthy',
    });

    // b's server comes back: b takes over straight away, and the event says why the lease moved.
    b.healthy.value = true;
    await clock.advance(200);
    expect(b.worker.state).toEqual({ kind: 'holding', term: 2 });
    expect((await leaseEvents(backend)).at(-1)).toMatchObject({
      type: 'LeaseTakenOver',
      previousHolder: 'a',
      holder: 'b',
      term: 2,
      reason: 'dependency_unhealthy',
    });
    await Promise.all([a.worker.stop(), b.worker.stop(), clock.advance(100)]);
  });

  it('stops, releasing the lease, when told to stop while its bid for the lease was in flight', async () => {
    const backend = new MemoryBackend();
    const gated = new GatedStore(backend.client(), leaseStream);
    const clock = new ManualClock();
    gated.inject('hold');
    let handlerRan = false;
    const worker = runSingleton(gated, {
      resource,
      holder: 'a',
      ttlMs: 1000,
      clock,
      handler: async (ctx) => {
        handlerRan = true;
        await sleep(clock, 60_000, ctx.signal);
      },
    });
    await clock.advance(10);
    expect(gated.appendsSeen).toHaveLength(1); // the bid, held back
    const stopped = worker.stop();
    gated.open();
    await clock.advance(10);
    await stopped;
    expect(worker.state).toEqual({ kind: 'stopped' });
    expect((await leaseEvents(backend)).map((e) => e.type)).toEqual(['LeaseAcquired', 'LeaseReleased']);
    expect(handlerRan).toBe(true);
  });

  it('releases with handler_stopped when the handler ends by itself, and bids again after restartDelayMs', async () => {
    const backend = new MemoryBackend();
    const clock = new ManualClock();
    const errors: unknown[] = [];
    let calls = 0;
    const worker = runSingleton(backend.client(), {
      resource,
      holder: 'a',
      ttlMs: 1000,
      clock,
      restartDelayMs: 500,
      onError: (e) => errors.push(e),
      handler: async () => {
        calls++;
        throw new Error('mailbox gone');
      },
    });
    await clock.advance(100);
    expect(calls).toBe(1);
    expect(errors).toEqual([new Error('mailbox gone')]);
    expect((await leaseEvents(backend)).at(-1)).toMatchObject({ type: 'LeaseReleased', reason: 'handler_stopped' });
    await clock.advance(390);
    expect(calls).toBe(1);
    await clock.advance(20);
    expect(calls).toBe(2);
    expect((await leaseEvents(backend)).at(-2)).toMatchObject({
      type: 'LeaseTakenOver',
      previousHolder: 'a',
      holder: 'a',
      term: 2,
      reason: 'released',
    });
    await Promise.all([worker.stop(), clock.advance(1000)]);
  });
});
