import { describe, expect, it } from 'vitest';
import type { SignalboxEvent } from '../../src/domain/events/index.js';
import { decideMessage, foldMessage, type Decision, type MessageCommand } from '../../src/domain/message/index.js';

const retry = { count: 2, intervalMs: 1000, backoff: 'fixed', maxIntervalMs: 60_000 } as const;
const now = new Date('2026-01-01T00:00:00.000Z');
const body = { kind: 'inline', encoding: 'utf8', content: 'x', size: 1, sha256: 'a'.repeat(64) } as const;

function received(...ports: string[]): SignalboxEvent {
  return {
    type: 'MessageReceived',
    data: {
      messageId: 'm1',
      receiveLocation: 'in',
      adapter: 'file',
      body,
      context: { promoted: {}, written: {} },
      routing: { sendPorts: ports, subscriptions: ports },
    },
  };
}

type Chained = Decision & { then: (next: MessageCommand) => Chained };

/** Given these events, when this command: the events decided (applied, so `then` can chain). */
function given(events: SignalboxEvent[]): { when: (command: MessageCommand) => Chained } {
  return {
    when(command: MessageCommand): Chained {
      const decision = decideMessage(foldMessage(events), command);
      const applied = decision.ok ? [...events, ...(decision.events as SignalboxEvent[])] : events;
      return { ...decision, then: (next) => given(applied).when(next) };
    },
  };
}

const claim = (attempt: number, at = now): MessageCommand => ({
  type: 'ClaimSend',
  port: 'out',
  attempt,
  worker: 'w1',
  now: at,
});
const fail = (attempt: number, retryable = true, hasBackup = false): MessageCommand => ({
  type: 'FailSend',
  port: 'out',
  attempt,
  error: { code: 'E', message: 'boom', retryable },
  retry,
  hasBackup,
  now,
});
const types = (d: Decision) => (d.ok ? d.events.map((e) => e.type) : d.code);

describe('message lifecycle decider', () => {
  it('a routed send can be claimed once, for its first attempt only', () => {
    expect(types(given([received('out')]).when(claim(1)))).toEqual(['SendClaimed']);
    expect(types(given([received('out')]).when(claim(2)))).toBe('STALE_ATTEMPT');
    expect(
      types(
        given([received('out')])
          .when(claim(1))
          .then(claim(1)),
      ),
    ).toBe('NOT_CLAIMABLE');
    expect(types(given([]).when(claim(1)))).toBe('NO_MESSAGE');
    expect(types(given([received('other')]).when(claim(1)))).toBe('NOT_ROUTED_TO_PORT');
  });

  it('a claimed send completes once', () => {
    const sent = given([received('out')])
      .when(claim(1))
      .then({ type: 'CompleteSend', port: 'out', attempt: 1, durationMs: 3 });
    expect(types(sent)).toEqual(['MessageSent']);
    expect(sent.ok && sent.events[0]!.data).toMatchObject({ transport: 'primary', attempt: 1 });
    expect(types(given([received('out')]).when({ type: 'CompleteSend', port: 'out', attempt: 1, durationMs: 1 }))).toBe(
      'NOT_CLAIMED',
    );
  });

  it('a failure is retried after the interval, as the next attempt, until the count is used', () => {
    const first = given([received('out')])
      .when(claim(1))
      .then(fail(1));
    expect(first.ok && first.events[0]!.data).toMatchObject({ attempt: 1, nextRetryAt: '2026-01-01T00:00:01.000Z' });
    const events: SignalboxEvent[] = [
      received('out'),
      { type: 'SendClaimed', data: { messageId: 'm1', port: 'out', attempt: 1, worker: 'w1' } },
      ...((first.ok ? first.events : []) as SignalboxEvent[]),
    ];
    expect(types(given(events).when(claim(2)))).toBe('NOT_DUE');
    const later = new Date(now.getTime() + 1000);
    const third = given(events)
      .when(claim(2, later))
      .then(fail(2))
      .then(claim(3, new Date(later.getTime() + 5000)));
    expect(types(third)).toEqual(['SendClaimed']);
    // Count 2 means two retries: the third failure suspends.
    const exhausted = given(events)
      .when(claim(2, later))
      .then(fail(2))
      .then(claim(3, new Date(later.getTime() + 5000)))
      .then(fail(3));
    expect(types(exhausted)).toEqual(['SendFailed', 'MessageSuspended']);
    expect(exhausted.ok && exhausted.events[1]!.data).toMatchObject({
      port: 'out',
      stage: 'send',
      reason: { code: 'E' },
    });
  });

  it('a non-retryable failure skips the retries', () => {
    expect(
      types(
        given([received('out')])
          .when(claim(1))
          .then(fail(1, false)),
      ),
    ).toEqual(['SendFailed', 'MessageSuspended']);
  });

  it('after the primary gives up, the backup transport gets its own retries, then suspension', () => {
    let events: SignalboxEvent[] = [received('out')];
    const step = (command: MessageCommand) => {
      const d = decideMessage(foldMessage(events), command);
      if (d.ok) events = [...events, ...(d.events as SignalboxEvent[])];
      return d;
    };
    const far = (n: number) => new Date(now.getTime() + n * 100_000);
    step(claim(1));
    step(fail(1, false, true)); // primary gives up at once (not retryable): switch to backup
    const toBackup = events.at(-1)!;
    expect(toBackup.data).toMatchObject({ transport: 'primary', nextTransport: 'backup' });
    expect(types(step(claim(2, far(1))))).toEqual(['SendClaimed']);
    step(fail(2, true, true));
    step(claim(3, far(2)));
    step(fail(3, true, true));
    step(claim(4, far(3)));
    const last = step(fail(4, true, true));
    expect(types(last)).toEqual(['SendFailed', 'MessageSuspended']);
    expect(last.ok && last.events[0]!.data).toMatchObject({ transport: 'backup' });
  });

  it('a suspended send resumes as a new attempt on the primary transport, or is terminated', () => {
    const suspended = given([received('out')])
      .when(claim(1))
      .then(fail(1, false));
    const events: SignalboxEvent[] = [
      received('out'),
      { type: 'SendClaimed', data: { messageId: 'm1', port: 'out', attempt: 1, worker: 'w1' } },
      ...((suspended.ok ? suspended.events : []) as SignalboxEvent[]),
    ];
    expect(types(given(events).when({ type: 'Resume', port: 'out', note: 'fixed' }).then(claim(2)))).toEqual([
      'SendClaimed',
    ]);
    expect(types(given(events).when({ type: 'Terminate', port: 'out' }))).toEqual(['MessageTerminated']);
    expect(types(given(events).when({ type: 'Terminate', port: 'out' }).then({ type: 'Resume', port: 'out' }))).toBe(
      'NOT_SUSPENDED',
    );
    expect(types(given([received('out')]).when({ type: 'Resume', port: 'out' }))).toBe('NOT_SUSPENDED');
  });

  it('an unroutable message resumes with the routing of the configuration then live', () => {
    const unroutable: SignalboxEvent[] = [
      received(),
      { type: 'MessageUnroutable', data: { messageId: 'm1', reason: 'no subscription matched' } },
      {
        type: 'MessageSuspended',
        data: { messageId: 'm1', stage: 'route', reason: { code: 'UNROUTABLE', message: 'x' } },
      },
    ];
    expect(types(given(unroutable).when(claim(1)))).toBe('NOT_CLAIMABLE');
    const resumed = given(unroutable)
      .when({ type: 'Resume', routing: { sendPorts: ['out'], subscriptions: ['s1'] } })
      .then(claim(1));
    expect(types(resumed)).toEqual(['SendClaimed']);
    expect(types(given(unroutable).when({ type: 'Terminate' }))).toEqual(['MessageTerminated']);
    expect(types(given(unroutable).when({ type: 'Resume', routing: { sendPorts: [], subscriptions: [] } }))).toBe(
      'STILL_UNROUTABLE',
    );
  });

  it('a reply that never came suspends the request send; a resume sends it again as the next attempt', () => {
    const timedOut = given([received('out')])
      .when(claim(1))
      .then({ type: 'CompleteSend', port: 'out', attempt: 1, durationMs: 1 })
      .then({ type: 'TimeOutCorrelation', port: 'out', set: 'orders', key: 'k1' });
    expect(types(timedOut)).toEqual(['MessageSuspended']);
    expect(timedOut.ok && timedOut.events[0]!.data).toMatchObject({ stage: 'correlation', nextAttempt: 2 });
    const resent = given([received('out')])
      .when(claim(1))
      .then({ type: 'CompleteSend', port: 'out', attempt: 1, durationMs: 1 })
      .then({ type: 'TimeOutCorrelation', port: 'out', set: 'orders', key: 'k1' })
      .then({ type: 'Resume', port: 'out' })
      .then(claim(2));
    expect(types(resent)).toEqual(['SendClaimed']);
    expect(types(given([received('out')]).when({ type: 'TimeOutCorrelation', port: 'out', set: 's', key: 'k' }))).toBe(
      'NOT_CLAIMABLE',
    );
  });

  it('a sent message cannot be terminated', () => {
    const done = given([received('out')])
      .when(claim(1))
      .then({ type: 'CompleteSend', port: 'out', attempt: 1, durationMs: 1 })
      .then({ type: 'Terminate', port: 'out' });
    expect(types(done)).toBe('ALREADY_FINAL');
  });
});
