import { SignalboxError } from '../errors.js';

export type LeaseRejectionCode =
  /** Acquire while somebody holds the lease. */
  | 'LEASE_HELD'
  /** Renew or Release of a lease that is free or released; TakeOver of a free lease. */
  | 'LEASE_NOT_HELD'
  /** Renew or Release by somebody who does not hold the lease. */
  | 'NOT_LEASE_HOLDER'
  /** Renew or Release by the holder named in the stream, but for a term it no longer holds. */
  | 'STALE_LEASE_TERM'
  /** TakeOver without having observed the lease unchanged for its ttl. */
  | 'LEASE_NOT_EXPIRED';

/** What may succeed later: the lease may be released or may expire. */
const retryable = new Set<LeaseRejectionCode>(['LEASE_HELD', 'LEASE_NOT_EXPIRED']);

/** The decider refused a lease command; `code` says why, stable for scripts and the API. */
export class LeaseRejected extends SignalboxError {
  readonly retryable: boolean;

  constructor(
    readonly code: LeaseRejectionCode,
    message: string,
  ) {
    super(message);
    this.retryable = retryable.has(code);
  }
}
