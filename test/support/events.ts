import { createHash, randomUUID } from 'node:crypto';
import type { NewEvent } from '../../src/domain/events/index.js';
import { makeEvent } from '../../src/store/make-event.js';

export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/** A small valid event; `n` shows up in the data so order can be checked. */
export function noteEvent(n: number, actor = 'test'): NewEvent {
  return makeEvent('MessageResumed', { messageId: `m${n}`, note: `n=${n}` }, { actor });
}

/** A realistic ~1 KB MessageReceived (inline body), as the benchmark writes. */
export function receivedEvent(messageId: string, bodyBytes = 600): NewEvent {
  const content = 'x'.repeat(bodyBytes);
  return makeEvent(
    'MessageReceived',
    {
      messageId,
      receiveLocation: 'bench-in',
      adapter: 'nats',
      sourceKey: messageId,
      contentType: 'application/json',
      body: {
        kind: 'inline',
        encoding: 'utf8',
        content,
        size: bodyBytes,
        sha256: createHash('sha256').update(content).digest('hex'),
      },
      context: {
        promoted: { 'BTS.ReceivePortName': 'bench-in', 'NATS.Subject': 'orders.in' },
        written: { 'NATS.Sequence': 1 },
      },
      routing: { sendPorts: ['bench-out'], subscriptions: ['bench-sub'] },
    },
    { actor: 'worker:bench' },
  );
}

export function noteOf(event: { data: unknown }): string | undefined {
  return (event.data as { note?: string }).note;
}
