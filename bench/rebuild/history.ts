import type { NewEvent } from '../../src/domain/events/index.js';
import type { EventStore } from '../../src/store/event-store.js';
import { makeEvent } from '../../src/store/make-event.js';
import { newMessageId } from '../../src/store/message-id.js';

const body = { kind: 'inline', encoding: 'utf8', content: '{"order":1}', size: 11, sha256: 'b'.repeat(64) } as const;
const actor = { actor: 'worker:bench/1' };
const failure = (retryable: boolean) => ({ code: 'SEND_TIMEOUT', message: 'the remote end did not answer', retryable });

/**
 * The events of one message, in the mix a busy engine writes: most sent first time, some after
 * a retry, some suspended and resumed or terminated, some unroutable, with several context
 * properties each (an MQ correlation id, a file name, a customer).
 */
function messageHistory(n: number): NewEvent[] {
  const messageId = newMessageId();
  const kind = n % 100;
  const ports = kind % 7 === 0 ? ['orders-out', 'audit-copy'] : ['orders-out'];
  const unroutable = kind >= 95;
  const events: NewEvent[] = [
    makeEvent(
      'MessageReceived',
      {
        messageId,
        receiveLocation: n % 3 === 0 ? 'mq-orders' : 'sftp-orders',
        receivePort: 'orders',
        adapter: n % 3 === 0 ? 'mq' : 'sftp',
        sourceKey: `src-${n}`,
        contentType: 'application/json',
        body,
        context: {
          promoted: {
            'BTS.ReceivePortName': 'orders',
            'MQMD.CorrelId': `corr-${n % 5000}`,
            'ORD.Customer': `customer-${n % 997}`,
          },
          written: { 'BTS.MessageID': messageId, 'FILE.ReceivedFileName': `order-${n}.json`, 'ORD.Lines': n % 40 },
        },
        routing: unroutable ? { sendPorts: [], subscriptions: [] } : { sendPorts: ports, subscriptions: ports },
      },
      actor,
    ),
  ];
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1) + n * 10 + minutes * 60_000).toISOString();
  if (unroutable) {
    events.push(
      makeEvent('MessageUnroutable', { messageId, reason: 'no subscription matched' }, actor),
      makeEvent(
        'MessageSuspended',
        { messageId, stage: 'route', reason: { code: 'UNROUTABLE', message: 'no subscription matched' } },
        actor,
      ),
    );
    if (kind === 99) events.push(makeEvent('MessageTerminated', { messageId, note: 'bench' }, { actor: 'user:ops' }));
    return events;
  }
  for (const port of ports) {
    const claim = (attempt: number) => makeEvent('SendClaimed', { messageId, port, attempt, worker: 'bench/1' }, actor);
    const sent = (attempt: number) =>
      makeEvent('MessageSent', { messageId, port, attempt, transport: 'primary', durationMs: 3 }, actor);
    const failed = (attempt: number, last: boolean) =>
      makeEvent(
        'SendFailed',
        {
          messageId,
          port,
          attempt,
          transport: 'primary',
          error: failure(!last),
          ...(last ? {} : { nextRetryAt: at(attempt) }),
        },
        actor,
      );
    if (kind < 75) {
      events.push(claim(1), sent(1));
    } else if (kind < 87) {
      events.push(claim(1), failed(1, false), claim(2), sent(2));
    } else {
      events.push(
        claim(1),
        failed(1, false),
        claim(2),
        failed(2, true),
        makeEvent('MessageSuspended', { messageId, port, stage: 'send', reason: failure(false) }, actor),
      );
      if (kind < 92) {
        events.push(makeEvent('MessageResumed', { messageId, port }, { actor: 'user:ops' }), claim(3), sent(3));
      } else if (kind < 94) {
        events.push(makeEvent('MessageTerminated', { messageId, port }, { actor: 'user:ops' }));
      }
    }
  }
  return events;
}

/** Lease traffic between the messages: renewals, and now and then a takeover. */
function leaseHistory(n: number): { stream: string; events: NewEvent[] } {
  const resource = `port-orders-${n % 4}`;
  const term = Math.floor(n / 50) + 1;
  const holder = `host-a/${term % 3}`;
  const events: NewEvent[] =
    n % 50 === 0
      ? [
          makeEvent(
            'LeaseTakenOver',
            { resource, previousHolder: `host-a/${(term + 2) % 3}`, holder, term, ttlMs: 2000, reason: 'expired' },
            { actor: holder },
          ),
        ]
      : [makeEvent('LeaseRenewed', { resource, holder, term, ttlMs: 2000 }, { actor: holder })];
  return { stream: `lease-${resource}`, events };
}

/**
 * Appends about `events` events of realistic history with 64 concurrent writers, one append per
 * message (its whole life) and per lease event. Returns the number written.
 */
export async function writeHistory(
  store: EventStore,
  events: number,
  onProgress?: (written: number) => void,
): Promise<number> {
  let written = 0;
  let next = 0;
  let leaseQueue = Promise.resolve();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (written < events) {
        const n = next++;
        const history = messageHistory(n);
        written += history.length;
        await store.append(`message-${(history[0]!.data as { messageId: string }).messageId}`, history, 'no_stream');
        if (n % 20 === 0) {
          const lease = leaseHistory(n / 20);
          written += lease.events.length;
          // lease streams take their events one at a time, in term order, as a holder writes them
          leaseQueue = leaseQueue.then(() => store.append(lease.stream, lease.events, 'any').then(() => undefined));
          await leaseQueue;
        }
        if (n % 2_000 === 0) onProgress?.(written);
      }
    }),
  );
  await leaseQueue;
  return written;
}
