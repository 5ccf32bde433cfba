import type { Acquire, LeaseCommand, Release, Renew, TakeOver } from './commands.js';
import { LeaseRejected } from './errors.js';
import type { LeaseEvent, LeaseState, TakeOverReason } from './state.js';

/**
 * What a lease command appends to `lease-{resource}`, or a `LeaseRejected` with a stable code.
 * The caller appends the events expecting the revision it folded `state` from, so two contenders
 * deciding on the same state cannot both win.
 */
export function decide(command: LeaseCommand, state: LeaseState): LeaseEvent[] {
  switch (command.type) {
    case 'Acquire':
      return acquire(command, state);
    case 'Renew':
      return [renew(command, state)];
    case 'Release':
      return [release(command, state)];
    case 'TakeOver':
      return [takeOver(command, state)];
  }
}

/**
 * From a free stream the first holder gets term 1. A released lease is a change of hands: it is
 * recorded as the failover event, naming who released it and why (see `takenOver`).
 */
function acquire(command: Acquire, state: LeaseState): LeaseEvent[] {
  if (state.status === 'held') {
    throw new LeaseRejected('LEASE_HELD', `lease ${command.resource} is held by ${state.holder} (term ${state.term})`);
  }
  if (state.status === 'released') return [takenOver(command, state.holder, state.term, releasedBecause(state))];
  return [
    {
      type: 'LeaseAcquired',
      data: { resource: command.resource, holder: command.holder, term: state.term + 1, ttlMs: command.ttlMs },
    },
  ];
}

function renew(command: Renew, state: LeaseState): LeaseEvent {
  assertHolder(command, state, 'renew');
  return {
    type: 'LeaseRenewed',
    data: { resource: command.resource, holder: command.holder, term: command.term, ttlMs: command.ttlMs },
  };
}

function release(command: Release, state: LeaseState): LeaseEvent {
  assertHolder(command, state, 'release');
  return {
    type: 'LeaseReleased',
    data: { resource: command.resource, holder: command.holder, term: command.term, reason: command.reason },
  };
}

function takeOver(command: TakeOver, state: LeaseState): LeaseEvent {
  if (state.status === 'free') {
    throw new LeaseRejected('LEASE_NOT_HELD', `lease ${command.resource} was never held: acquire it instead`);
  }
  if (state.status === 'released') return takenOver(command, state.holder, state.term, releasedBecause(state));
  if (!command.observedExpired) {
    throw new LeaseRejected(
      'LEASE_NOT_EXPIRED',
      `lease ${command.resource} is held by ${state.holder} (term ${state.term}) and was not observed to expire`,
    );
  }
  return takenOver(command, state.holder, state.term, 'expired');
}

function takenOver(
  command: Acquire | TakeOver,
  previousHolder: string,
  previousTerm: number,
  reason: TakeOverReason,
): LeaseEvent {
  return {
    type: 'LeaseTakenOver',
    data: {
      resource: command.resource,
      previousHolder,
      holder: command.holder,
      term: previousTerm + 1,
      ttlMs: command.ttlMs,
      reason,
    },
  };
}

/**
 * A release because a dependency failed keeps that reason on the failover event, so the history
 * tells a node that moved work to a healthy peer from one that shut down or whose handler ended.
 */
function releasedBecause(state: Extract<LeaseState, { status: 'released' }>): TakeOverReason {
  return state.reason === 'dependency_unhealthy' ? 'dependency_unhealthy' : 'released';
}

function assertHolder(command: Renew | Release, state: LeaseState, verb: string): void {
  if (state.status !== 'held') {
    throw new LeaseRejected('LEASE_NOT_HELD', `cannot ${verb} lease ${command.resource}: it is ${state.status}`);
  }
  if (state.holder !== command.holder) {
    throw new LeaseRejected(
      'NOT_LEASE_HOLDER',
      `cannot ${verb} lease ${command.resource}: held by ${state.holder}, not ${command.holder}`,
    );
  }
  if (state.term !== command.term) {
    throw new LeaseRejected(
      'STALE_LEASE_TERM',
      `cannot ${verb} lease ${command.resource} at term ${command.term}: ${command.holder} holds term ${state.term}`,
    );
  }
}
