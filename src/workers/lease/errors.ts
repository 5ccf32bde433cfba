import { SignalboxError } from '../../domain/errors.js';
import type { ReleaseReason } from '../../domain/lease/index.js';

/**
 * Why a holder stopped holding: another writer moved the lease stream (`renewal_conflict`), no
 * renewal was acknowledged before the holder's own deadline (`deadline`), a fenced write found
 * the stream fenced by a newer term (`fenced`), or the holder let it go (the release reasons).
 */
export type LeaseLossReason = 'renewal_conflict' | 'deadline' | 'fenced' | ReleaseReason;

/** The abort reason a singleton handler's signal carries once its lease is gone. */
export class LeaseLost extends SignalboxError {
  readonly code = 'LEASE_LOST';
  readonly retryable = false;

  constructor(
    readonly resource: string,
    readonly term: number,
    readonly reason: LeaseLossReason,
    options?: { cause?: unknown },
  ) {
    super(`lease ${resource} term ${term} lost: ${reason}`, options);
  }
}

/**
 * A fenced write was refused: its writer no longer holds the lease. `reason` is `fenced` when the
 * store refused it (the stream moved past the revision the writer last wrote: a newer holder
 * raised its fence), otherwise why the writer had already stopped holding, which refuses the
 * write before it reaches the store.
 */
export class Deposed extends SignalboxError {
  readonly code = 'DEPOSED';
  readonly retryable = false;

  constructor(
    readonly resource: string,
    readonly term: number,
    readonly stream: string,
    readonly reason: LeaseLossReason,
    options?: { cause?: unknown },
  ) {
    super(`write to ${stream} refused: lease ${resource} term ${term} is no longer held (${reason})`, options);
  }
}

/**
 * Raising a fence kept losing the race for the stream's next revision to writers without a
 * newer fence: something writes to a fenced stream without going through its lease.
 */
export class FenceContended extends SignalboxError {
  readonly code = 'FENCE_CONTENDED';
  readonly retryable = true;
}
