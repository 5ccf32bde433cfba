import { copyFileSync, existsSync } from 'node:fs';
import { writeAnchor } from '../../../src/audit/anchor-writer.js';
import type { EventStore } from '../../../src/store/event-store.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { receivedEvent } from '../../support/events.js';

export const LEASE = 'lease-orders-in';
export const MESSAGES = 10;
export const messageStream = (i: number) => `message-order-${i}`;

async function renewLease(store: EventStore, term: number): Promise<void> {
  const revision = await store.streamRevision(LEASE);
  await store.append(
    LEASE,
    [
      makeEvent(
        'LeaseRenewed',
        { resource: 'orders-in', holder: 'worker:a', term, ttlMs: 3000 },
        { actor: 'worker:a' },
      ),
    ],
    revision ?? 'no_stream',
  );
}

/**
 * A realistic history on a real SQLite store: a configuration change, a lease stream with
 * retention renewing throughout, ten messages received, claimed and sent in three phases with an
 * anchor after each, and a tail after the last anchor (one more message, one more renewal).
 * Every message's revision 1 lies before every revision 2 in global order.
 */
export async function buildAuditHistory(file: string): Promise<void> {
  const store = new SqliteEventStore(file);
  await store.append(
    'config-send-port-out',
    [
      makeEvent(
        'ConfigDefined',
        { kind: 'send-port', name: 'out', definition: { adapter: 'file' } },
        { actor: 'user:alice' },
      ),
    ],
    'no_stream',
  );
  await store.setStreamMetadata(LEASE, { maxCount: 3 });
  await store.append(
    LEASE,
    [
      makeEvent(
        'LeaseAcquired',
        { resource: 'orders-in', holder: 'worker:a', term: 1, ttlMs: 3000 },
        { actor: 'worker:a' },
      ),
    ],
    'no_stream',
  );
  const phases = [
    (i: number) => store.append(messageStream(i), [receivedEvent(`order-${i}`)], 'no_stream'),
    (i: number) =>
      store.append(
        messageStream(i),
        [
          makeEvent(
            'SendClaimed',
            { messageId: `order-${i}`, port: 'out', attempt: 1, worker: 'worker:a' },
            { actor: 'worker:a' },
          ),
        ],
        0n,
      ),
    (i: number) =>
      store.append(
        messageStream(i),
        [
          makeEvent(
            'MessageSent',
            { messageId: `order-${i}`, port: 'out', attempt: 1, transport: 'primary', durationMs: 3 },
            { actor: 'worker:a' },
          ),
        ],
        1n,
      ),
  ];
  for (const phase of phases) {
    for (let i = 0; i < MESSAGES; i++) {
      await phase(i);
      if (i % 3 === 2) await renewLease(store, 1);
    }
    await writeAnchor(store);
  }
  await store.append(messageStream(MESSAGES), [receivedEvent(`order-${MESSAGES}`)], 'no_stream');
  await renewLease(store, 1);
  await store.close();
}

/** A copy of a closed store file (with its WAL, if one was left) to tamper with. */
export function copyStore(from: string, to: string): string {
  copyFileSync(from, to);
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`);
  return to;
}
