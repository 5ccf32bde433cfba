import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ANCHOR_STREAM } from '../../src/audit/anchor-format.js';
import { writeAnchor } from '../../src/audit/anchor-writer.js';
import { openSqliteAuditSource } from '../../src/audit/sqlite-source.js';
import { verifyAudit } from '../../src/audit/verify.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { noteEvent } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('audit-anchors');
afterAll(() => dir.cleanup());

describe('audit anchors on SQLite', () => {
  it('instances anchoring while others append race safely: one anchor chain, and the store verifies clean', async () => {
    const file = join(dir.path, 'race.db');
    const clients = [new SqliteEventStore(file), new SqliteEventStore(file)];
    await clients[0]!.setStreamMetadata('lease-r', { maxCount: 2 });
    let appending = true;
    const writers = clients.map(async (store, c) => {
      for (let i = 0; i < 150; i++) {
        await store.append(`message-${c}-${i % 25}`, [noteEvent(i)], 'any');
        if (i % 10 === 0) await store.append('lease-r', [noteEvent(i)], 'any');
      }
    });
    const anchoring = clients.map(async (store) => {
      let written = 0;
      while (appending) {
        written += (await writeAnchor(store, { maxEvents: 40 })).written;
        await new Promise((r) => setTimeout(r, 2));
      }
      return written;
    });
    await Promise.all(writers);
    appending = false;
    const written = (await Promise.all(anchoring)).reduce((a, b) => a + b, 0);
    await writeAnchor(clients[0]!);
    const anchors = await clients[1]!.readStream(ANCHOR_STREAM);
    expect(anchors.length).toBeGreaterThanOrEqual(written);
    expect(anchors.map((a) => a.revision)).toEqual(anchors.map((_, i) => BigInt(i)));
    for (const store of clients) await store.close();

    const source = openSqliteAuditSource(file);
    const report = await verifyAudit(source);
    source.close();
    expect(report.failure).toBeUndefined();
    expect(report).toMatchObject({ ok: true, events: 300 + 30 - 28 + anchors.length, anchors: anchors.length });
    // Only the last anchor is not itself covered by a later anchor.
    expect(report.unanchored).toBe(1);
  });
});
