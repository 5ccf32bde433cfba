export { systemClock, type Clock } from './clock.js';
export { checkDependencies, DependencyMonitor, type Dependency, type HealthReport } from './dependencies.js';
export { Deposed, FenceContended, LeaseLost, type LeaseLossReason } from './errors.js';
export { FencedStream } from './fenced-stream.js';
export { HeldLease } from './held-lease.js';
export { LeaseManager, type LeaseObservation } from './lease-manager.js';
export {
  DEFAULT_TTL_MS,
  resolveLeaseOptions,
  type LeaseOptions,
  type RenewalTiming,
  type ResolvedLeaseOptions,
} from './options.js';
export {
  runSingleton,
  type SingletonContext,
  type SingletonHandler,
  type SingletonOptions,
  type SingletonWorker,
} from './singleton.js';
export type { WorkerState } from './worker-state.js';
