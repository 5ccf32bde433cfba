import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../../src/domain/config/index.js';
import type { SignalboxEvent } from '../../../src/domain/events/index.js';
import { decideMessage, foldMessage, type MessageCommand } from '../../../src/domain/message/index.js';
import { retryAllowingLostWorkers, WORKER_LOST } from '../../../src/workers/sender/deliver.js';

const now = new Date('2026-01-01T00:00:00.000Z');
const body = { kind: 'inline', encoding: 'utf8', content: 'x', size: 1, sha256: 'a'.repeat(64) } as const;
const received: SignalboxEvent = {
  type: 'MessageReceived',
  data: {
    messageId: 'm1',
    receiveLocation: 'in',
    adapter: 'file',
    body,
    context: { promoted: {}, written: {} },
    routing: { sendPorts: ['out'], subscriptions: ['out'] },
  },
};

/**
 * Runs a send through attempts that fail with these codes, as the send path records them: claim,
 * then `FailSend` with the port's policy widened by `retryAllowingLostWorkers`. Returns the events.
 */
function failures(codes: string[], retry: RetryPolicy, hasBackup = false, start: SignalboxEvent[] = [received]) {
  const events = [...start];
  const apply = (command: MessageCommand) => {
    const decision = decideMessage(foldMessage(events), command);
    if (!decision.ok) throw new Error(`${command.type} refused: ${decision.reason}`);
    events.push(...(decision.events as SignalboxEvent[]));
  };
  for (const code of codes) {
    const send = foldMessage(events).sends.out!;
    if (send.status === 'suspended') break;
    apply({ type: 'ClaimSend', port: 'out', attempt: send.attempt, worker: 'w', now: new Date(8.64e15) });
    apply({
      type: 'FailSend',
      port: 'out',
      attempt: send.attempt,
      error: { code, message: code, retryable: true },
      retry: retryAllowingLostWorkers(retry, events, 'out', code),
      hasBackup,
      now,
    });
  }
  return events;
}

const policy = (count: number): RetryPolicy => ({ count, intervalMs: 10, backoff: 'fixed', maxIntervalMs: 1_000 });
const outcome = (events: SignalboxEvent[]) => {
  const send = foldMessage(events).sends.out!;
  return { status: send.status, transport: send.transport, attempt: send.attempt };
};

describe('a dead worker does not use up a retry (WORKER_LOST)', () => {
  it('lost workers are retried however often; only the destination’s failures count', () => {
    // One retry allowed: two lost workers, then one real failure, still leave the retry.
    const events = failures([WORKER_LOST, WORKER_LOST, 'REFUSED'], policy(1));
    expect(outcome(events)).toEqual({ status: 'retrying', transport: 'primary', attempt: 4 });
    // The next real failure is the one too many.
    const more = failures(['REFUSED'], policy(1), false, events);
    expect(outcome(more)).toEqual({ status: 'suspended', transport: 'primary', attempt: 5 });
  });

  it('without the widening the second lost worker would already suspend the send (what it fixes)', () => {
    const events = failures([WORKER_LOST], policy(1));
    const send = foldMessage(events).sends.out!;
    const claimed = decideMessage(foldMessage(events), {
      type: 'ClaimSend',
      port: 'out',
      attempt: send.attempt,
      worker: 'w',
      now: new Date(8.64e15),
    });
    if (!claimed.ok) throw new Error(claimed.reason);
    const plain = decideMessage(foldMessage([...events, ...(claimed.events as SignalboxEvent[])]), {
      type: 'FailSend',
      port: 'out',
      attempt: send.attempt,
      error: { code: WORKER_LOST, message: 'lost', retryable: true },
      retry: policy(1),
      hasBackup: false,
      now,
    });
    expect(plain.ok && plain.events.map((e) => e.type)).toEqual(['SendFailed', 'MessageSuspended']);
  });

  it('a lost worker never moves a send to its backup transport; real failures still do', () => {
    expect(outcome(failures([WORKER_LOST, WORKER_LOST], policy(0), true))).toMatchObject({ transport: 'primary' });
    const switched = failures([WORKER_LOST, 'REFUSED'], policy(0), true);
    expect(outcome(switched)).toEqual({ status: 'retrying', transport: 'backup', attempt: 3 });
    // On the backup, the count starts again: a lost worker there is retried too.
    expect(outcome(failures([WORKER_LOST], policy(0), true, switched))).toMatchObject({
      status: 'retrying',
      transport: 'backup',
    });
  });

  it('counts lost workers of this port and transport only, since the last switch or resume', () => {
    const lostOnOther: SignalboxEvent = {
      type: 'SendFailed',
      data: {
        messageId: 'm1',
        port: 'other',
        attempt: 1,
        transport: 'primary',
        error: { code: WORKER_LOST, message: 'lost', retryable: true },
      },
    };
    expect(retryAllowingLostWorkers(policy(2), [received, lostOnOther], 'out', 'REFUSED').count).toBe(2);
    const lostHere = { ...lostOnOther, data: { ...lostOnOther.data, port: 'out' } } as SignalboxEvent;
    expect(retryAllowingLostWorkers(policy(2), [received, lostHere], 'out', 'REFUSED').count).toBe(3);
    expect(retryAllowingLostWorkers(policy(2), [received, lostHere], 'out', WORKER_LOST).count).toBe(4);
    const resumed: SignalboxEvent = { type: 'MessageResumed', data: { messageId: 'm1', port: 'out' } };
    expect(retryAllowingLostWorkers(policy(2), [received, lostHere, resumed], 'out', 'REFUSED').count).toBe(2);
  });
});
