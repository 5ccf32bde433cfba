import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR_STREAM } from '../../src/audit/anchor-format.js';
import { openSqliteAuditSource } from '../../src/audit/sqlite-source.js';
import { verifyAudit, type AuditReport } from '../../src/audit/verify.js';
import { eventHash } from '../../src/store/event-hash.js';
import { tempDir } from '../support/temp-dir.js';
import { buildAuditHistory, copyStore, LEASE, MESSAGES, messageStream } from './support/audit-history.js';

const dir = tempDir('audit-tamper');
const pristine = join(dir.path, 'pristine.db');
let copies = 0;

beforeAll(() => buildAuditHistory(pristine));
afterAll(() => dir.cleanup());

async function verifyFile(file: string): Promise<AuditReport> {
  const source = openSqliteAuditSource(file);
  try {
    return await verifyAudit(source, { pageSize: 7 });
  } finally {
    source.close();
  }
}

/** Copies the pristine store, tampers with the copy through its own connection, verifies it. */
async function tampered(tamper: (db: Database.Database) => void): Promise<AuditReport> {
  const file = copyStore(pristine, join(dir.path, `copy-${++copies}.db`));
  const db = new Database(file);
  tamper(db);
  db.close();
  return verifyFile(file);
}

const positionOf = (db: Database.Database, stream: string, revision: number) =>
  db
    .prepare<[string, number], number>('SELECT position FROM events WHERE stream = ? AND revision = ?')
    .pluck()
    .get(stream, revision)!;

function movePosition(db: Database.Database, from: number, to: number): void {
  db.prepare('UPDATE events SET position = ? WHERE position = ?').run(to, from);
}

describe('audit verify on a SQLite store', () => {
  it('an untouched store verifies clean, with every anchor checked', async () => {
    const report = await verifyFile(pristine);
    expect(report.failure).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.anchors).toBe(3);
    // 11 messages: 10 with three events, one received after the last anchor.
    expect(report.streams).toBe(MESSAGES + 1 + 3);
    expect(report.unanchored).toBe(2); // the last anchor itself and the last message
    expect(report.retained).toBe(3); // the lease stream keeps its newest three
    expect(report.unchained).toBe(0);
    expect(report.lastAnchorHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("(a) an edited event's data is caught at its stream and revision", async () => {
    const report = await tampered((db) =>
      db
        .prepare(
          'UPDATE events SET data = replace(data, \'"attempt":1\', \'"attempt":2\') WHERE stream = ? AND revision = 1',
        )
        .run(messageStream(2)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(2), revision: 1n, kind: 'edited' });
  });

  it('(b) an event deleted from the middle of a stream is caught', async () => {
    const report = await tampered((db) =>
      db.prepare('DELETE FROM events WHERE stream = ? AND revision = 1').run(messageStream(3)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(3), revision: 1n, kind: 'deleted' });
    expect(report.failure!.position).toBeUndefined();
  });

  it("(c) a stream's last event deleted is caught by the anchor covering it", async () => {
    const report = await tampered((db) =>
      db.prepare('DELETE FROM events WHERE stream = ? AND revision = 2').run(messageStream(4)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(4), revision: 2n, kind: 'deleted' });
    expect(report.failure!.detail).toContain(ANCHOR_STREAM);
  });

  it('(d) two events of a stream whose data was swapped are reported reordered', async () => {
    const report = await tampered((db) => {
      const data = db
        .prepare<[string, number], string>('SELECT data FROM events WHERE stream = ? AND revision = ?')
        .pluck();
      const first = data.get(messageStream(5), 0)!;
      const last = data.get(messageStream(5), 2)!;
      const set = db.prepare('UPDATE events SET data = ? WHERE stream = ? AND revision = ?');
      set.run(last, messageStream(5), 0);
      set.run(first, messageStream(5), 2);
    });
    expect(report.failure).toMatchObject({ stream: messageStream(5), revision: 0n, kind: 'reordered' });
    expect(report.failure!.detail).toContain('belongs at revision 2');
  });

  it('(e) two events of different streams whose global positions were swapped are caught by the anchor', async () => {
    let moved = 0;
    const report = await tampered((db) => {
      // Both are their stream's last event and every revision 1 lies before them: each stream's
      // own order still holds, only the global order changes.
      const a = positionOf(db, messageStream(6), 2);
      const b = positionOf(db, messageStream(7), 2);
      movePosition(db, a, -1);
      movePosition(db, b, a);
      movePosition(db, -1, b);
      moved = a;
    });
    expect(report.failure).toMatchObject({
      stream: messageStream(7),
      revision: 2n,
      position: BigInt(moved),
      kind: 'reordered',
    });
    expect(report.failure!.detail).toContain(`${messageStream(6)}@2`);
  });

  it('(e2) an event moved within its own stream before an earlier revision is reported reordered', async () => {
    const report = await tampered((db) => {
      const first = positionOf(db, messageStream(8), 0);
      const second = positionOf(db, messageStream(8), 1);
      movePosition(db, first, -1);
      movePosition(db, second, first);
      movePosition(db, -1, second);
    });
    expect(report.failure).toMatchObject({ stream: messageStream(8), revision: 0n, kind: 'reordered' });
  });

  it('(f) a changed recorded_at is caught', async () => {
    const report = await tampered((db) =>
      db
        .prepare('UPDATE events SET recorded_at = recorded_at - 60000 WHERE stream = ? AND revision = 1')
        .run(messageStream(9)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(9), revision: 1n, kind: 'edited' });
  });

  it('an edit after the last anchor is still caught by its stream chain', async () => {
    const report = await tampered((db) =>
      db
        .prepare("UPDATE events SET metadata = replace(metadata, 'worker:bench', 'user:mallory') WHERE stream = ?")
        .run(messageStream(MESSAGES)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(MESSAGES), revision: 0n, kind: 'edited' });
  });

  it("a stream's last event rewritten with its hash recomputed is caught by the anchor", async () => {
    const report = await tampered((db) => {
      const stream = messageStream(2);
      const row = db
        .prepare<[string], { id: string; type: string; data: string; metadata: string; recorded_at: number }>(
          'SELECT id, type, data, metadata, recorded_at FROM events WHERE stream = ? AND revision = 2',
        )
        .get(stream)!;
      const previous = db
        .prepare<[string], Buffer>('SELECT hash FROM events WHERE stream = ? AND revision = 1')
        .pluck()
        .get(stream)!
        .toString('hex');
      const data = row.data.replace('"durationMs":3', '"durationMs":30000');
      const hash = eventHash(previous, { ...row, stream, data }, 2, row.recorded_at);
      db.prepare('UPDATE events SET data = ?, hash = ? WHERE stream = ? AND revision = 2').run(
        data,
        Buffer.from(hash, 'hex'),
        stream,
      );
    });
    expect(report.failure).toMatchObject({ stream: messageStream(2), revision: 2n, kind: 'edited' });
    expect(report.failure!.detail).toContain(ANCHOR_STREAM);
  });

  it('an event whose hash was removed is reported unhashed', async () => {
    const report = await tampered((db) =>
      db.prepare('UPDATE events SET hash = NULL WHERE stream = ? AND revision = 0').run(messageStream(1)),
    );
    expect(report.failure).toMatchObject({ stream: messageStream(1), revision: 0n, kind: 'unhashed' });
  });

  it('an edited anchor is caught at the anchor', async () => {
    const report = await tampered((db) =>
      db
        .prepare(`UPDATE events SET data = replace(data, '"count":', '"count":1') WHERE stream = ? AND revision = 1`)
        .run(ANCHOR_STREAM),
    );
    expect(report.failure).toMatchObject({ stream: ANCHOR_STREAM, revision: 1n, kind: 'edited' });
  });

  describe('a stream with retention', () => {
    it('verifies from where retention cut it, and an edit of its oldest remaining event is caught', async () => {
      const report = await tampered((db) => {
        const oldest = db
          .prepare<[string], number>('SELECT min(revision) FROM events WHERE stream = ?')
          .pluck()
          .get(LEASE)!;
        expect(oldest).toBeGreaterThan(0);
        db.prepare(
          "UPDATE events SET data = replace(data, 'worker:a', 'worker:b') WHERE stream = ? AND revision = ?",
        ).run(LEASE, oldest);
      });
      expect(report.failure).toMatchObject({ stream: LEASE, kind: 'edited' });
    });

    it('a missing prefix its retention does not explain is reported deleted', async () => {
      let oldest = 0;
      const report = await tampered((db) => {
        oldest = db.prepare<[string], number>('SELECT min(revision) FROM events WHERE stream = ?').pluck().get(LEASE)!;
        db.prepare('DELETE FROM events WHERE stream = ? AND revision = ?').run(LEASE, oldest);
      });
      expect(report.failure).toMatchObject({ stream: LEASE, revision: BigInt(oldest), kind: 'deleted' });
    });

    it('its last event deleted is caught through the revision its metadata records', async () => {
      let last = 0;
      const report = await tampered((db) => {
        last = db.prepare<[string], number>('SELECT max(revision) FROM events WHERE stream = ?').pluck().get(LEASE)!;
        db.prepare('DELETE FROM events WHERE stream = ? AND revision = ?').run(LEASE, last);
      });
      expect(report.failure).toMatchObject({ stream: LEASE, revision: BigInt(last), kind: 'deleted' });
    });
  });
});
