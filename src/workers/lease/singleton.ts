import type { ReleaseReason } from '../../domain/lease/index.js';
import type { EventStore } from '../../store/event-store.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { DependencyMonitor, type Dependency } from './dependencies.js';
import type { FencedStream } from './fenced-stream.js';
import type { HeldLease } from './held-lease.js';
import { LeaseManager } from './lease-manager.js';
import type { LeaseOptions } from './options.js';
import type { WorkerState } from './worker-state.js';

export interface SingletonContext {
  readonly resource: string;
  readonly holder: string;
  readonly term: number;
  /** Aborts, with a `LeaseLost` reason, the moment this instance stops holding the lease. */
  readonly signal: AbortSignal;
  /** The fenced stream `stream` for this term (the first call appends `FenceRaised` to it). */
  fence(stream: string): Promise<FencedStream>;
}

export type SingletonHandler = (context: SingletonContext) => Promise<void>;

export interface SingletonOptions extends LeaseOptions {
  /** Runs while this instance holds the lease; it should return soon after `signal` aborts. */
  readonly handler: SingletonHandler;
  /** Checked every `healthEveryMs`: bid only while all are healthy; release when one fails. */
  readonly dependencies?: readonly Dependency[];
  /** Default 1,000 ms. */
  readonly healthEveryMs?: number;
  /** After the handler returned or threw on its own, wait this long before bidding again. Default ttl. */
  readonly restartDelayMs?: number;
  readonly clock?: Clock;
  readonly onTransition?: (state: WorkerState) => void;
  /** Errors that do not stop the worker: a store call that failed, a handler that threw. */
  readonly onError?: (error: unknown) => void;
}

export interface SingletonWorker {
  readonly state: WorkerState;
  readonly manager: LeaseManager;
  /** Stops the handler, releases the lease if held (`shutdown`), and resolves when stopped. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
}

type HoldOutcome =
  | { readonly kind: 'lost' }
  | { readonly kind: 'unhealthy' }
  | { readonly kind: 'handler_ended' }
  | { readonly kind: 'stop' };

/**
 * Runs `handler` on exactly one instance at a time: the one holding lease `resource`. The others
 * contend, bidding only while their dependencies are healthy, and one of them takes over when
 * the holder dies (after its ttl), releases (at once), or loses a dependency (at once).
 */
export function runSingleton(store: EventStore, options: SingletonOptions): SingletonWorker {
  const clock = options.clock ?? systemClock;
  const manager = new LeaseManager(store, options, clock);
  const { ttlMs, pollEveryMs } = manager.options;
  const monitor = new DependencyMonitor(options.dependencies ?? [], options.healthEveryMs ?? 1000, clock);
  const stopping = new AbortController();
  const reportError = options.onError ?? (() => undefined);
  let state: WorkerState = { kind: 'starting' };

  const enter = (next: WorkerState) => {
    state = next;
    options.onTransition?.(next);
  };

  async function contend(): Promise<HeldLease | undefined> {
    while (!stopping.signal.aborted) {
      const health = monitor.current;
      if (
        state.kind !== 'contending' ||
        state.healthy !== health.healthy ||
        state.failing.join() !== health.failing.join()
      ) {
        enter({ kind: 'contending', healthy: health.healthy, failing: health.failing });
      }
      try {
        // Observing goes on while unhealthy, so that a recovered worker has already waited.
        await manager.observe();
        if (health.healthy && !stopping.signal.aborted) {
          const held = await manager.tryTake();
          if (held) return held;
        }
      } catch (error) {
        reportError(error);
      }
      await sleep(clock, pollEveryMs, stopping.signal);
    }
    return undefined;
  }

  async function hold(held: HeldLease): Promise<void> {
    enter({ kind: 'holding', term: held.term });
    const handlerDone = Promise.resolve()
      .then(() =>
        options.handler({
          resource: held.resource,
          holder: held.holder,
          term: held.term,
          signal: held.signal,
          fence: (stream) => held.fence(stream),
        }),
      )
      .catch(reportError);
    // Removes the listeners of this term's race once it is decided.
    const decided = new AbortController();
    const outcome = await Promise.race<HoldOutcome>([
      held.lost.then(() => ({ kind: 'lost' })),
      monitor
        .whenUnhealthy(AbortSignal.any([held.signal, decided.signal]))
        .then((r) => (r ? { kind: 'unhealthy' } : { kind: 'lost' })),
      handlerDone.then(() => ({ kind: 'handler_ended' })),
      // A stop that came while the lease was being taken has already aborted: no event will come.
      stopping.signal.aborted
        ? { kind: 'stop' }
        : new Promise((resolve) =>
            stopping.signal.addEventListener('abort', () => resolve({ kind: 'stop' }), {
              once: true,
              signal: decided.signal,
            }),
          ),
    ]);
    decided.abort();
    const release: ReleaseReason | undefined =
      outcome.kind === 'unhealthy'
        ? 'dependency_unhealthy'
        : outcome.kind === 'handler_ended'
          ? 'handler_stopped'
          : outcome.kind === 'stop'
            ? 'shutdown'
            : undefined;
    if (release && held.held) {
      enter({ kind: 'releasing', term: held.term, reason: release });
      await held.release(release).catch(reportError);
    } else {
      const loss = await held.lost;
      enter({ kind: 'lost', term: held.term, reason: loss.reason });
    }
    await handlerDone;
    if (outcome.kind === 'handler_ended') await sleep(clock, options.restartDelayMs ?? ttlMs, stopping.signal);
  }

  const done = (async () => {
    monitor.start();
    try {
      for (;;) {
        const held = await contend();
        if (!held) break;
        await hold(held);
      }
    } finally {
      monitor.stop();
      enter({ kind: 'stopped' });
    }
  })();

  return {
    get state() {
      return state;
    },
    manager,
    done,
    stop: async () => {
      stopping.abort();
      await done;
    },
  };
}
