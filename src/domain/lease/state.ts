import type { EventOf } from '../events/index.js';

export type LeaseEvent = EventOf<'LeaseAcquired' | 'LeaseRenewed' | 'LeaseReleased' | 'LeaseTakenOver'>;
export type ReleaseReason = EventOf<'LeaseReleased'>['data']['reason'];
export type TakeOverReason = EventOf<'LeaseTakenOver'>['data']['reason'];

/**
 * A lease as its stream tells it. `term` counts every change of hands and is the fencing token:
 * it only ever grows. No clock appears here: whether a held lease has expired is something a
 * contender observes on its own monotonic clock and tells `decide` (see `TakeOver`).
 */
export type LeaseState =
  | { readonly status: 'free'; readonly holder: undefined; readonly term: 0; readonly ttlMs: undefined }
  | {
      readonly status: 'held';
      readonly holder: string;
      readonly term: number;
      /**
       * The ttl the holder honours, from its latest event. Undefined only if the stream was
       * truncated past the acquisition and its renewals predate `ttlMs` on LeaseRenewed.
       */
      readonly ttlMs: number | undefined;
    }
  | {
      readonly status: 'released';
      /** Who released it: the previous holder of whoever takes it next. */
      readonly holder: string;
      readonly term: number;
      readonly ttlMs: number | undefined;
      readonly reason: ReleaseReason;
    };

export const initialState: LeaseState = { status: 'free', holder: undefined, term: 0, ttlMs: undefined };

/**
 * Every lease event names its holder and term, so the state follows from the latest event alone:
 * a stream whose oldest events were removed by `maxCount` still folds to the right state.
 */
export function evolve(state: LeaseState, event: LeaseEvent): LeaseState {
  switch (event.type) {
    case 'LeaseAcquired':
    case 'LeaseTakenOver':
      return { status: 'held', holder: event.data.holder, term: event.data.term, ttlMs: event.data.ttlMs };
    case 'LeaseRenewed':
      return {
        status: 'held',
        holder: event.data.holder,
        term: event.data.term,
        ttlMs: event.data.ttlMs ?? state.ttlMs,
      };
    case 'LeaseReleased':
      return {
        status: 'released',
        holder: event.data.holder,
        term: event.data.term,
        ttlMs: state.ttlMs,
        reason: event.data.reason,
      };
  }
}

export function isLeaseEvent(event: { type: string }): event is LeaseEvent {
  return (
    event.type === 'LeaseAcquired' ||
    event.type === 'LeaseRenewed' ||
    event.type === 'LeaseReleased' ||
    event.type === 'LeaseTakenOver'
  );
}

/** The state after `events`, in stream order; events of other types are skipped. */
export function foldLease(events: Iterable<{ type: string }>): LeaseState {
  let state = initialState;
  for (const event of events) if (isLeaseEvent(event)) state = evolve(state, event);
  return state;
}
