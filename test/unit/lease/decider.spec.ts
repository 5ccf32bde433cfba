import { describe, expect, it } from 'vitest';
import {
  decide,
  evolve,
  foldLease,
  initialState,
  LeaseRejected,
  type LeaseCommand,
  type LeaseEvent,
  type LeaseRejectionCode,
} from '../../../src/domain/lease/index.js';

const resource = 'location-ftp-in';

/** given(events).when(command).then(events) / .thenRejects(code), emmett style. */
function given(...events: LeaseEvent[]) {
  const state = events.reduce(evolve, initialState);
  return {
    when(command: LeaseCommand) {
      const run = () => decide(command, state);
      return {
        then(...expected: LeaseEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenRejects(code: LeaseRejectionCode, retryable: boolean) {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(LeaseRejected);
          expect((error as LeaseRejected).code).toBe(code);
          expect((error as LeaseRejected).retryable).toBe(retryable);
        },
      };
    },
  };
}

const acquired = (holder: string, term: number, ttlMs = 2000): LeaseEvent => ({
  type: 'LeaseAcquired',
  data: { resource, holder, term, ttlMs },
});
/** `null`: a renewal written before LeaseRenewed carried its ttl. */
const renewed = (holder: string, term: number, ttlMs: number | null = 2000): LeaseEvent => ({
  type: 'LeaseRenewed',
  data: { resource, holder, term, ...(ttlMs === null ? {} : { ttlMs }) },
});
const released = (
  holder: string,
  term: number,
  reason: 'shutdown' | 'dependency_unhealthy' | 'handler_stopped',
): LeaseEvent => ({ type: 'LeaseReleased', data: { resource, holder, term, reason } });
const takenOver = (
  previousHolder: string,
  holder: string,
  term: number,
  reason: 'expired' | 'released' | 'dependency_unhealthy',
  ttlMs = 2000,
): LeaseEvent => ({ type: 'LeaseTakenOver', data: { resource, previousHolder, holder, term, ttlMs, reason } });

const acquire = (holder: string, ttlMs = 2000): LeaseCommand => ({ type: 'Acquire', resource, holder, ttlMs });
const renew = (holder: string, term: number, ttlMs = 2000): LeaseCommand => ({
  type: 'Renew',
  resource,
  holder,
  term,
  ttlMs,
});
const release = (holder: string, term: number, reason: 'shutdown' | 'dependency_unhealthy' = 'shutdown') =>
  ({ type: 'Release', resource, holder, term, reason }) as const;
const takeOver = (holder: string, observedExpired: boolean, ttlMs = 2000): LeaseCommand => ({
  type: 'TakeOver',
  resource,
  holder,
  ttlMs,
  observedExpired,
});

describe('lease decider: Acquire', () => {
  it('on a stream with no lease events gives term 1 to the acquirer, with its ttl', () => {
    given()
      .when(acquire('a', 1500))
      .then(acquired('a', 1, 1500));
  });

  it('is refused while somebody holds the lease, the holder included', () => {
    given(acquired('a', 1)).when(acquire('b')).thenRejects('LEASE_HELD', true);
    given(acquired('a', 1), renewed('a', 1)).when(acquire('a')).thenRejects('LEASE_HELD', true);
    given(takenOver('a', 'b', 2, 'expired'))
      .when(acquire('c'))
      .thenRejects('LEASE_HELD', true);
  });

  it('of a lease released on shutdown is a failover with reason released and the next term', () => {
    given(acquired('a', 1), released('a', 1, 'shutdown'))
      .when(acquire('b', 900))
      .then(takenOver('a', 'b', 2, 'released', 900));
  });

  it('of a lease released because the handler stopped also shows reason released', () => {
    given(acquired('a', 1), released('a', 1, 'handler_stopped'))
      .when(acquire('b'))
      .then(takenOver('a', 'b', 2, 'released'));
  });

  it('of a lease released because a dependency failed keeps that reason on the failover event', () => {
    given(acquired('a', 1), renewed('a', 1), released('a', 1, 'dependency_unhealthy'))
      .when(acquire('b'))
      .then(takenOver('a', 'b', 2, 'dependency_unhealthy'));
  });

  it('by the instance that released it names it as both previous and new holder', () => {
    given(acquired('a', 4), released('a', 4, 'dependency_unhealthy'))
      .when(acquire('a'))
      .then(takenOver('a', 'a', 5, 'dependency_unhealthy'));
  });
});

describe('lease decider: Renew', () => {
  it('by the holder at its term records the renewal with the ttl it honours', () => {
    given(acquired('a', 1))
      .when(renew('a', 1, 2000))
      .then(renewed('a', 1, 2000));
    given(takenOver('a', 'b', 7, 'expired'))
      .when(renew('b', 7))
      .then(renewed('b', 7));
  });

  it('by anybody else is refused', () => {
    given(acquired('a', 1)).when(renew('b', 1)).thenRejects('NOT_LEASE_HOLDER', false);
  });

  it('by a deposed holder is refused, also when it names the current term', () => {
    given(acquired('a', 1), takenOver('a', 'b', 2, 'expired'))
      .when(renew('a', 1))
      .thenRejects('NOT_LEASE_HOLDER', false);
    given(acquired('a', 1), takenOver('a', 'b', 2, 'expired'))
      .when(renew('a', 2))
      .thenRejects('NOT_LEASE_HOLDER', false);
  });

  it('for a term the holder no longer holds is refused (it took the lease back under a new term)', () => {
    given(acquired('a', 1), takenOver('a', 'a', 2, 'expired'))
      .when(renew('a', 1))
      .thenRejects('STALE_LEASE_TERM', false);
  });

  it('of a free or released lease is refused', () => {
    given().when(renew('a', 1)).thenRejects('LEASE_NOT_HELD', false);
    given(acquired('a', 1), released('a', 1, 'shutdown'))
      .when(renew('a', 1))
      .thenRejects('LEASE_NOT_HELD', false);
  });
});

describe('lease decider: Release', () => {
  it('by the holder at its term records the reason', () => {
    given(acquired('a', 1))
      .when(release('a', 1, 'dependency_unhealthy'))
      .then(released('a', 1, 'dependency_unhealthy'));
    given(acquired('a', 1), renewed('a', 1))
      .when(release('a', 1))
      .then(released('a', 1, 'shutdown'));
  });

  it('by anybody else, at a stale term, or of a lease nobody holds is refused', () => {
    given(acquired('a', 1)).when(release('b', 1)).thenRejects('NOT_LEASE_HOLDER', false);
    given(acquired('a', 1), takenOver('a', 'a', 2, 'expired'))
      .when(release('a', 1))
      .thenRejects('STALE_LEASE_TERM', false);
    given().when(release('a', 1)).thenRejects('LEASE_NOT_HELD', false);
    given(acquired('a', 1), released('a', 1, 'shutdown'))
      .when(release('a', 1))
      .thenRejects('LEASE_NOT_HELD', false);
  });
});

describe('lease decider: TakeOver', () => {
  it('of a held lease observed expired is the failover event with reason expired and the next term', () => {
    given(acquired('a', 1), renewed('a', 1), renewed('a', 1))
      .when(takeOver('b', true, 1200))
      .then(takenOver('a', 'b', 2, 'expired', 1200));
  });

  it('of a held lease not observed expired is refused', () => {
    given(acquired('a', 1), renewed('a', 1)).when(takeOver('b', false)).thenRejects('LEASE_NOT_EXPIRED', true);
  });

  it('by a holder that lost track of its own expired lease starts a new term (its old one is fenced out)', () => {
    given(acquired('a', 3))
      .when(takeOver('a', true))
      .then(takenOver('a', 'a', 4, 'expired'));
  });

  it('of a released lease needs no expiry and keeps the release reason', () => {
    given(acquired('a', 1), released('a', 1, 'dependency_unhealthy'))
      .when(takeOver('b', false))
      .then(takenOver('a', 'b', 2, 'dependency_unhealthy'));
    given(acquired('a', 1), released('a', 1, 'shutdown'))
      .when(takeOver('b', false))
      .then(takenOver('a', 'b', 2, 'released'));
  });

  it('of a lease never held is refused: there is nobody to take it from', () => {
    given().when(takeOver('b', true)).thenRejects('LEASE_NOT_HELD', false);
  });
});

describe('lease state', () => {
  it('terms only grow across a history of acquisitions, failovers and releases', () => {
    const history: LeaseEvent[] = [];
    let state = initialState;
    const apply = (command: LeaseCommand) => {
      for (const event of decide(command, state)) {
        history.push(event);
        state = evolve(state, event);
      }
    };
    apply(acquire('a'));
    apply(renew('a', 1));
    apply(takeOver('b', true));
    apply(release('b', 2, 'dependency_unhealthy'));
    apply(acquire('c'));
    apply(takeOver('a', true));
    const terms = history.map((e) => e.data.term);
    expect(terms).toEqual([1, 1, 2, 2, 3, 4]);
    expect(state).toEqual({ status: 'held', holder: 'a', term: 4, ttlMs: 2000 });
  });

  it('folds a stream whose acquisition was truncated away from its renewals alone', () => {
    expect(foldLease([renewed('b', 9, 1500), renewed('b', 9, 1500)])).toEqual({
      status: 'held',
      holder: 'b',
      term: 9,
      ttlMs: 1500,
    });
    // A renewal without ttlMs (written before the field existed) keeps the ttl already known.
    expect(foldLease([acquired('b', 9, 1500), renewed('b', 9, null)])).toMatchObject({ ttlMs: 1500 });
    expect(foldLease([renewed('b', 9, null)])).toMatchObject({ status: 'held', ttlMs: undefined });
  });

  it('skips events that are not lease events', () => {
    expect(
      foldLease([
        acquired('a', 1),
        { type: 'FenceRaised', data: { resource, holder: 'a', term: 1 } } as unknown as LeaseEvent,
      ]),
    ).toMatchObject({ status: 'held', holder: 'a', term: 1 });
  });

  it('after a release remembers who released it, at which term and why', () => {
    expect(foldLease([acquired('a', 2), released('a', 2, 'handler_stopped')])).toEqual({
      status: 'released',
      holder: 'a',
      term: 2,
      ttlMs: 2000,
      reason: 'handler_stopped',
    });
  });
});
