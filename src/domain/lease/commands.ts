import type { ReleaseReason } from './state.js';

/** Take a lease that nobody holds: a stream with no lease events yet, or a released lease. */
export interface Acquire {
  readonly type: 'Acquire';
  readonly resource: string;
  readonly holder: string;
  readonly ttlMs: number;
}

/** Prolong a lease: only its holder, at the term it holds. */
export interface Renew {
  readonly type: 'Renew';
  readonly resource: string;
  readonly holder: string;
  readonly term: number;
  readonly ttlMs: number;
}

/** Give a lease up so that another contender can take it at once, without waiting for its ttl. */
export interface Release {
  readonly type: 'Release';
  readonly resource: string;
  readonly holder: string;
  readonly term: number;
  readonly reason: ReleaseReason;
}

/**
 * Take a lease from its holder. `observedExpired` is the contender's own finding that the lease
 * stream did not change for the holder's ttl, measured on the contender's monotonic clock: the
 * decider never compares clocks itself, so it cannot be fooled by two machines disagreeing.
 */
export interface TakeOver {
  readonly type: 'TakeOver';
  readonly resource: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly observedExpired: boolean;
}

export type LeaseCommand = Acquire | Renew | Release | TakeOver;
