import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { StoreUnavailable } from '../../src/store/errors.js';
import { makeEvent } from '../../src/store/make-event.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { DEFAULT_TTL_MS } from '../../src/workers/lease/options.js';
import { tempDir } from '../support/temp-dir.js';
import { History } from './support/history.js';
import { dumpOnFailure, isStopped, LeaseProcess, type Fact } from './support/lease-process.js';

const dir = tempDir('lease-zombie');
const running = new Set<LeaseProcess>();
afterAll(() => {
  for (const p of running) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  dir.cleanup();
});

// The engine's default ttl: what runs in production, and robust when the test machine is busy.
const TTL_MS = DEFAULT_TTL_MS;
const resource = 'location-zombie';
const leaseStream = `lease-${resource}`;
const location = 'location-zombie';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await wait(5);
  }
}

/** Whether another process can write to the store now, i.e. the frozen one holds no write lock. */
async function storeWritable(file: string): Promise<boolean> {
  const probe = new SqliteEventStore(file, { busyTimeoutMs: 100 });
  try {
    await probe.append(
      'message-probe',
      [makeEvent('MessageTerminated', { messageId: 'probe' }, { actor: 'test' })],
      'any',
    );
    return true;
  } catch (error) {
    if (error instanceof StoreUnavailable) return false;
    throw error;
  } finally {
    await probe.close();
  }
}

async function pair(file: string): Promise<{ a: LeaseProcess; b: LeaseProcess }> {
  const options = { store: file, resource, location, ttlMs: TTL_MS, writeEveryMs: 100 };
  const a = new LeaseProcess('a', options);
  running.add(a);
  await a.waitFor((f) => f.ev === 'write' && f.outcome === 'accepted' && f.seq === 2, 15_000);
  const b = new LeaseProcess('b', options);
  running.add(b);
  await b.waitFor((f) => f.ev === 'state' && f.kind === 'contending', 15_000);
  return { a, b };
}

/**
 * Freezes `a` with `freeze` and checks that it is frozen outside a write transaction: SQLite
 * has one write lock per file, and a process stopped while holding it stops every writer until
 * it resumes (no lease can help with that), so such a freeze is undone and tried again.
 */
async function freezeOutsideWrite(file: string, a: LeaseProcess, freeze: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await freeze();
    await waitUntil(() => isStopped(a.pid), 5000);
    if (await storeWritable(file)) return;
    a.kill('SIGCONT');
    await wait(300);
  }
  throw new Error('could not freeze the holder outside a write transaction');
}

async function expectFencedHistory(file: string, history: History, frozen: LeaseProcess): Promise<RecordedEvent[]> {
  const store = new SqliteEventStore(file);
  const fenced = await store.readStream(location);
  await store.close();
  const takeover = history.of(leaseStream).find((e) => e.type === 'LeaseTakenOver')!;
  expect(takeover.data).toMatchObject({ previousHolder: frozen.holder, term: 2, reason: 'expired' });
  // Every write of term 1 landed before the takeover; after it, only term 2.
  for (const event of fenced) {
    if (event.metadata.fence!.term === 1) expect(event.position).toBeLessThan(takeover.position);
    else expect(event.metadata.fence!.term).toBe(2);
  }
  return fenced;
}

describe('leases: the zombie holder (SIGSTOP past its ttl, then SIGCONT)', () => {
  it('frozen at an arbitrary moment: another takes over; on waking its writes are refused and its handler stops', async () => {
    const file = join(dir.path, 'arbitrary.db');
    const history = new History(new SqliteEventStore(file), [leaseStream]);
    const { a, b } = await pair(file);
    dumpOnFailure(() => [a, b]);
    await freezeOutsideWrite(file, a, async () => {
      const from = a.facts.length;
      await a.waitFor((f) => f.ev === 'write' && f.outcome === 'accepted', 5000, from);
      a.kill('SIGSTOP');
    });
    const frozenFacts = a.facts.length;
    const took = await b.waitFor((f) => f.ev === 'write' && f.outcome === 'accepted' && f.term === 2, 10_000);
    await wait(TTL_MS / 2);
    a.kill('SIGCONT');
    const stopped = await a.waitFor((f) => f.ev === 'handler-stopped', 10_000, frozenFacts);
    await a.waitFor((f) => f.ev === 'state' && f.kind === 'contending', 10_000, frozenFacts);

    const afterWaking = a.facts.slice(frozenFacts);
    const attempts = afterWaking.filter((f) => f.ev === 'write');
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) expect(attempt).toMatchObject({ term: 1, outcome: 'refused', code: 'DEPOSED' });
    expect(stopped).toMatchObject({ term: 1 });
    expect(['deadline', 'renewal_conflict', 'fenced']).toContain(stopped.reason);
    expect(afterWaking.find((f) => f.ev === 'state')).toMatchObject({ kind: 'lost', term: 1 });
    expect(took.at).toBeLessThan(stopped.at);

    await Promise.all([a.stop(), b.stop()]);
    running.clear();
    await history.stop();
    const fenced = await expectFencedHistory(file, history, a);
    const refused = new Set(attempts.map((f: Fact) => f.id));
    expect(fenced.some((e) => refused.has(e.id))).toBe(false);
  }, 60_000);

  it('frozen between its checks and its write: the store refuses the write on the fence, and the handler stops', async () => {
    const file = join(dir.path, 'mid-write.db');
    const history = new History(new SqliteEventStore(file), [leaseStream]);
    const { a, b } = await pair(file);
    dumpOnFailure(() => [a, b]);
    let freezing: Fact | undefined;
    await freezeOutsideWrite(file, a, async () => {
      const from = a.facts.length;
      a.send('freeze-mid-write');
      freezing = await a.waitFor((f) => f.ev === 'freezing', 5000, from);
    });
    const frozenFacts = a.facts.length;
    await b.waitFor((f) => f.ev === 'write' && f.outcome === 'accepted' && f.term === 2, 10_000);
    a.kill('SIGCONT');
    const attempt = await a.waitFor((f) => f.ev === 'write' && f.id === freezing!.id, 10_000);
    const stopped = await a.waitFor((f) => f.ev === 'handler-stopped', 10_000, frozenFacts);

    // The write had passed every check of the holder; the store refused it on the revision
    // that b's FenceRaised moved on.
    expect(attempt).toMatchObject({
      froze: true,
      term: 1,
      outcome: 'refused',
      code: 'DEPOSED',
      reason: 'fenced',
      cause: 'WRONG_EXPECTED_REVISION',
    });
    expect(stopped).toMatchObject({ term: 1 });
    const later = a.facts.slice(frozenFacts).filter((f) => f.ev === 'write' && f.outcome === 'accepted');
    expect(later).toEqual([]);

    await Promise.all([a.stop(), b.stop()]);
    running.clear();
    await history.stop();
    const fenced = await expectFencedHistory(file, history, a);
    expect(fenced.some((e) => e.id === freezing!.id)).toBe(false);
  }, 60_000);
});
