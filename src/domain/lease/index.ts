import { decide } from './decide.js';
import { evolve, initialState } from './state.js';

export type { Acquire, LeaseCommand, Release, Renew, TakeOver } from './commands.js';
export { LeaseRejected, type LeaseRejectionCode } from './errors.js';
export {
  foldLease,
  isLeaseEvent,
  type LeaseEvent,
  type LeaseState,
  type ReleaseReason,
  type TakeOverReason,
} from './state.js';
export { decide, evolve, initialState };

/** The lease decider in the usual three functions. */
export const leaseDecider = { initialState, evolve, decide } as const;
