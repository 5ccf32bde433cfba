import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { DEFAULT_TTL_MS } from '../../src/workers/lease/options.js';
import { tempDir } from '../support/temp-dir.js';
import { History } from './support/history.js';
import { dumpOnFailure, LeaseProcess } from './support/lease-process.js';

const dir = tempDir('lease-dependency');
const running = new Set<LeaseProcess>();
afterAll(() => {
  for (const p of running) p.kill('SIGKILL');
  dir.cleanup();
});

// The engine's default ttl: what runs in production, and robust when the test machine is busy.
const TTL_MS = DEFAULT_TTL_MS;
const resource = 'location-mq-in';
const leaseStream = `lease-${resource}`;
const location = 'location-mq-in';

describe('leases: dependency health moves the lease to a node that can do the work', () => {
  it('a holder whose dependency fails releases; a healthy node takes over at once, an unhealthy one never bids', async () => {
    const file = join(dir.path, 'events.db');
    const store = new SqliteEventStore(file);
    const history = new History(store, [leaseStream]);
    const started: LeaseProcess[] = [];
    dumpOnFailure(() => started);
    const health = (name: string, state: 'ok' | 'down') => writeFileSync(join(dir.path, `${name}.health`), state);
    const start = (name: string, state: 'ok' | 'down') => {
      health(name, state);
      const p = new LeaseProcess(name, {
        store: file,
        resource,
        location,
        ttlMs: TTL_MS,
        writeEveryMs: 50,
        healthFile: join(dir.path, `${name}.health`),
      });
      running.add(p);
      started.push(p);
      return p;
    };
    const accepted = (term: number) => (f: { ev: string; outcome?: unknown; term?: unknown }) =>
      f.ev === 'write' && f.outcome === 'accepted' && f.term === term;

    const a = start('a', 'ok');
    await a.waitFor(accepted(1), 15_000);
    const b = start('b', 'down');
    const c = start('c', 'ok');
    await b.waitFor((f) => f.ev === 'state' && f.kind === 'contending' && f.healthy === false, 15_000);
    await c.waitFor((f) => f.ev === 'state' && f.kind === 'contending' && f.healthy === true, 15_000);

    // a's queue manager fails: a stops its handler and releases; c (healthy) takes over, b does not.
    health('a', 'down');
    await c.waitFor(accepted(2), 10_000);
    expect(await a.waitFor((f) => f.ev === 'handler-stopped', 1000)).toMatchObject({
      term: 1,
      reason: 'dependency_unhealthy',
    });

    // c fails too, and b recovers: the lease moves to b.
    health('c', 'down');
    health('b', 'ok');
    await b.waitFor(accepted(3), 10_000);

    // Now b dies while a and c are unhealthy: nobody bids, however long the lease stands expired…
    b.kill('SIGKILL');
    running.delete(b);
    await new Promise((r) => setTimeout(r, 2.5 * TTL_MS));
    expect(a.holdingTerm()).toBeUndefined();
    expect(c.holdingTerm()).toBeUndefined();
    // …until a recovers and takes over the expired lease.
    health('a', 'ok');
    await a.waitFor(accepted(4), 10_000);

    await Promise.all([a.stop(), c.stop()]);
    running.clear();
    await history.stop();
    await store.close();
    const lease = history.of(leaseStream).filter((e) => e.type !== 'LeaseRenewed');
    expect(lease.map((e) => ({ type: e.type, ...e.data }))).toMatchObject([
      { type: 'LeaseAcquired', holder: a.holder, term: 1 },
      { type: 'LeaseReleased', holder: a.holder, term: 1, reason: 'dependency_unhealthy' },
      { type: 'LeaseTakenOver', previousHolder: a.holder, holder: c.holder, term: 2, reason: 'dependency_unhealthy' },
      { type: 'LeaseReleased', holder: c.holder, term: 2, reason: 'dependency_unhealthy' },
      { type: 'LeaseTakenOver', previousHolder: c.holder, holder: b.holder, term: 3, reason: 'dependency_unhealthy' },
      { type: 'LeaseTakenOver', previousHolder: b.holder, holder: a.holder, term: 4, reason: 'expired' },
      { type: 'LeaseReleased', holder: a.holder, term: 4, reason: 'shutdown' },
    ]);
    // A release hands over at once: the next holder does not wait for the ttl.
    for (const i of [1, 3]) {
      const gap = lease[i + 1]!.recordedAt.getTime() - lease[i]!.recordedAt.getTime();
      expect(gap).toBeLessThan(TTL_MS / 2);
    }
    // The unhealthy node never bid while it was unhealthy.
    expect(b.facts.filter((f) => f.ev === 'state' && f.kind === 'holding').map((f) => f.term)).toEqual([3]);
  }, 60_000);
});
