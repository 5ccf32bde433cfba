// Audit records are read by the store itself for a small backlog and on the audit reader thread
// for a big one; both must give the same records, and the thread must stop when idle and start
// again when needed.
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { noteEvent } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually } from './support/engine.js';

const dir = tempDir('sqlite-audit-records');
afterAll(() => dir.cleanup());

/** More events than the store reads in passing (1,000), so a read from the start needs the thread. */
const EVENTS = 2_500;

async function fill(store: SqliteEventStore): Promise<AuditRecord[]> {
  await store.setStreamMetadata('lease-x', { maxCount: 1_000 });
  for (let i = 0; i < EVENTS / 100; i++) {
    const stream = i % 5 === 0 ? 'lease-x' : `message-${i % 7}`;
    await store.append(
      stream,
      Array.from({ length: 100 }, (_, n) => noteEvent(i * 100 + n)),
      'any',
    );
  }
  const expected: AuditRecord[] = [];
  for await (const event of store.readAll()) {
    expected.push({
      position: event.position,
      streamId: event.streamId,
      revision: event.revision,
      ...(event.hash === undefined ? {} : { hash: event.hash }),
      retained: event.streamId === 'lease-x',
    });
  }
  expect(expected).toHaveLength(EVENTS);
  return expected;
}

const threadCount = () => readdirSync('/proc/self/task').length;

describe('SQLite audit records', () => {
  it('reads the same records in passing and on the reader thread', async () => {
    const store = new SqliteEventStore(join(dir.path, 'paths.db'));
    try {
      const expected = await fill(store);
      // A backlog of 2,500: on the thread, a page at a time.
      const onThread = [...(await store.readAuditRecords(0n, 1_000)), ...(await store.readAuditRecords(1_000n, 1_000))];
      expect(onThread).toEqual(expected.slice(0, 2_000));
      // A backlog of 300: in passing.
      const inPassing = await store.readAuditRecords(expected[2_199]!.position, 1_000);
      expect(inPassing).toEqual(expected.slice(2_200));
      expect(await store.readAuditRecords(expected[2_199]!.position, 10)).toEqual(expected.slice(2_200, 2_210));
      expect(inPassing.every((r) => r.hash !== undefined)).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('stops the reader thread when idle and starts it again for the next big backlog', async () => {
    // The libuv pool starts its threads on first use; have them all before counting.
    await Promise.all(Array.from({ length: 8 }, () => readFile(fileURLToPath(import.meta.url))));
    const store = new SqliteEventStore(join(dir.path, 'idle.db'), { auditReaderIdleMs: 200 });
    try {
      const expected = await fill(store);
      const before = threadCount();
      expect(await store.readAuditRecords(0n, 1_000)).toEqual(expected.slice(0, 1_000));
      // One thread, or two from the TypeScript sources: its loader runs on a thread of its own.
      expect(threadCount()).toBeGreaterThan(before);
      await eventually(() => threadCount() === before, 10_000);
      expect(await store.readAuditRecords(0n, 1_000)).toEqual(expected.slice(0, 1_000));
      expect(threadCount()).toBeGreaterThan(before);
    } finally {
      await store.close();
    }
  }, 60_000);
});
