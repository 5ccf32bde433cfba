import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decide, foldLease, type LeaseCommand } from '../../../src/domain/lease/index.js';
import { currentLeases, leaseHistory, leaseOf } from '../../../src/projections/queries/leases.js';
import { leasesView } from '../../../src/projections/views/leases.js';
import { LeaseStream } from '../../../src/workers/lease/lease-stream.js';
import { History, iso } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const resource = 'location-ftp-in';
const stream = `lease-${resource}`;

/**
 * Decides a lease command on the stream's state and appends the result through the lease
 * stream, as the lease manager does (which copies each change of hands to the lease's log).
 */
async function lease(h: History, command: LeaseCommand): Promise<void> {
  const leaseStream = new LeaseStream(h.store, resource, command.holder);
  const events = await h.store.readStream(stream);
  const decided = decide(command, foldLease(events));
  await leaseStream.append(leaseStream.toNew(decided), events.at(-1)?.revision ?? 'no_stream');
}

/** Two failovers: host-a/1 dies (taken over), host-b/1 releases when its FTP server is unhealthy. */
async function failovers(): Promise<History> {
  const h = new History();
  const ttlMs = 3000;
  h.at(0);
  await lease(h, { type: 'Acquire', resource, holder: 'host-a/1', ttlMs });
  h.at(1);
  await lease(h, { type: 'Renew', resource, holder: 'host-a/1', term: 1, ttlMs });
  h.at(2);
  await lease(h, { type: 'Renew', resource, holder: 'host-a/1', term: 1, ttlMs });
  h.at(10);
  await lease(h, { type: 'TakeOver', resource, holder: 'host-b/1', ttlMs, observedExpired: true });
  h.at(11);
  await lease(h, { type: 'Renew', resource, holder: 'host-b/1', term: 2, ttlMs });
  h.at(20);
  await lease(h, { type: 'Release', resource, holder: 'host-b/1', term: 2, reason: 'dependency_unhealthy' });
  h.at(21);
  await lease(h, { type: 'Acquire', resource, holder: 'host-a/2', ttlMs });
  h.at(22);
  // A renewal written before LeaseRenewed carried its ttl: the ttl seen before is kept.
  await h.append(stream, 'LeaseRenewed', { resource, holder: 'host-a/2', term: 3 }, 'host-a/2');
  return h;
}

describe('leases view', () => {
  it('shows the current holder and every change of hands with its reason', async () => {
    const h = await failovers();
    const db = await h.view(leasesView);
    expect(currentLeases(db)).toEqual([
      {
        resource,
        holder: 'host-a/2',
        term: 3,
        released: false,
        since: iso(21),
        lastRenewal: iso(22),
        ttlMs: 3000,
        releasedAt: null,
        releaseReason: null,
      },
    ]);
    expect(leaseHistory(db, resource).items).toEqual([
      {
        resource,
        position: 11,
        term: 3,
        at: iso(21),
        event: 'taken-over',
        holder: 'host-a/2',
        previousHolder: 'host-b/1',
        reason: 'dependency_unhealthy',
      },
      {
        resource,
        position: 9,
        term: 2,
        at: iso(20),
        event: 'released',
        holder: 'host-b/1',
        previousHolder: null,
        reason: 'dependency_unhealthy',
      },
      {
        resource,
        position: 6,
        term: 2,
        at: iso(10),
        event: 'taken-over',
        holder: 'host-b/1',
        previousHolder: 'host-a/1',
        reason: 'expired',
      },
      {
        resource,
        position: 2,
        term: 1,
        at: iso(0),
        event: 'acquired',
        holder: 'host-a/1',
        previousHolder: null,
        reason: null,
      },
    ]);
    const page = leaseHistory(db, resource, { limit: 3 });
    expect(leaseHistory(db, resource, { cursor: page.nextCursor! }).items.map((c) => c.event)).toEqual(['acquired']);
  });

  it('shows a released lease as released, with its last holder', async () => {
    const h = new History();
    h.at(0);
    await lease(h, { type: 'Acquire', resource, holder: 'host-a/1', ttlMs: 2000 });
    h.at(5);
    await lease(h, { type: 'Release', resource, holder: 'host-a/1', term: 1, reason: 'shutdown' });
    const db = await h.view(leasesView);
    expect(leaseOf(db, resource)).toEqual({
      resource,
      holder: 'host-a/1',
      term: 1,
      released: true,
      since: iso(0),
      lastRenewal: iso(0),
      ttlMs: 2000,
      releasedAt: iso(5),
      releaseReason: 'shutdown',
    });
  });

  it('a view rebuilt after retention trimmed the lease stream equals the one that followed it live', async () => {
    const h = await failovers();
    const live = await h.view(leasesView);
    await h.store.setStreamMetadata(stream, { maxCount: 3 });
    const rebuilt = await h.view(leasesView);
    expect(currentLeases(rebuilt)).toEqual(currentLeases(live));
    // The history comes from the lease's log, which is never trimmed: every failover is still there.
    expect(leaseHistory(rebuilt, resource).items).toEqual(leaseHistory(live, resource).items);
    expect(leaseHistory(rebuilt, resource).items.map((c) => [c.term, c.event])).toEqual([
      [3, 'taken-over'],
      [2, 'released'],
      [2, 'taken-over'],
      [1, 'acquired'],
    ]);

    await h.store.setStreamMetadata(stream, { maxCount: 1 });
    const fromRenewalOnly = await h.view(leasesView);
    // Only a renewal of the days before renewals carried their ttl is left: the ttl is unknown.
    expect(leaseOf(fromRenewalOnly, resource)).toEqual({
      resource,
      holder: 'host-a/2',
      term: 3,
      released: false,
      since: iso(21),
      lastRenewal: iso(22),
      ttlMs: null,
      releasedAt: null,
      releaseReason: null,
    });
  });
});
