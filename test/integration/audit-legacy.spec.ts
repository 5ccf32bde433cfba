import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAnchor } from '../../src/audit/anchor-writer.js';
import { openSqliteAuditSource } from '../../src/audit/sqlite-source.js';
import { verifyAudit, type AuditReport } from '../../src/audit/verify.js';
import { makeEvent } from '../../src/store/make-event.js';
import { APPLICATION_ID } from '../../src/store/sqlite/schema.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { noteEvent } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';
import { copyStore } from './support/audit-history.js';

const dir = tempDir('audit-legacy');
afterAll(() => dir.cleanup());
let files = 0;

/** The store schema as the first release wrote it (migration 1), before events carried hashes. */
const schemaV1 = `CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL,
     id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at INTEGER NOT NULL);
   CREATE UNIQUE INDEX events_stream_revision ON events(stream, revision);
   CREATE TABLE stream_meta (name TEXT PRIMARY KEY, max_count INTEGER, truncate_before INTEGER, last_revision INTEGER) WITHOUT ROWID;`;

/** Positions 1-8: two message streams and a lease stream that retention had already cut to 3..4. */
function legacyStore(): string {
  const file = join(dir.path, `legacy-${++files}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(schemaV1);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma('user_version = 1');
  const insert = db.prepare(
    'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const write = (stream: string, revision: number, n: number) => {
    const e = noteEvent(n);
    insert.run(stream, revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), Date.now());
  };
  write('message-old-0', 0, 0);
  write('message-old-1', 0, 1);
  write('message-old-0', 1, 2);
  for (let r = 0; r < 5; r++) write('lease-old', r, 10 + r);
  db.prepare('INSERT INTO stream_meta (name, max_count, last_revision) VALUES (?, 2, 4)').run('lease-old');
  db.prepare('DELETE FROM events WHERE stream = ? AND revision < 3').run('lease-old');
  db.close();
  return file;
}

async function verifyFile(file: string): Promise<AuditReport> {
  const source = openSqliteAuditSource(file);
  try {
    return await verifyAudit(source);
  } finally {
    source.close();
  }
}

/** A legacy store opened by this build (which migrates it), written to and anchored. */
async function upgradedStore(): Promise<string> {
  const file = legacyStore();
  const store = new SqliteEventStore(file);
  await store.append('message-old-0', [noteEvent(3)], 1n);
  await store.append('message-new-0', [noteEvent(4)], 'no_stream');
  await store.append('lease-old', [noteEvent(15)], 4n);
  await writeAnchor(store);
  await store.append('message-new-0', [noteEvent(5)], 0n);
  expect((await store.readStream('message-old-0')).map((e) => e.hash === undefined)).toEqual([true, true, false]);
  await store.close();
  return file;
}

describe('audit of events stored before hashing', () => {
  it('verify reads a store it has never migrated without changing it: every event unchained', async () => {
    const file = legacyStore();
    const report = await verifyFile(file);
    expect(report).toMatchObject({ ok: true, events: 5, unchained: 5, unchainedUntil: 8n, anchors: 0 });
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('after the migration, new events chain on from the old ones and verify reports the old as unchained', async () => {
    const report = await verifyFile(await upgradedStore());
    expect(report.failure).toBeUndefined();
    // message-old-0@0..1, message-old-1@0 and lease-old@4 (retention then removed lease-old@3).
    expect(report).toMatchObject({ ok: true, unchained: 4, unchainedUntil: 8n, anchors: 1 });
    expect(report.events).toBe(9);
  });

  it("an old event's revisions are still checked: deleting one is caught", async () => {
    const file = copyStore(await upgradedStore(), join(dir.path, `tampered-${++files}.db`));
    const db = new Database(file);
    db.prepare('DELETE FROM events WHERE stream = ? AND revision = 0').run('message-old-0');
    db.close();
    expect((await verifyFile(file)).failure).toMatchObject({ stream: 'message-old-0', revision: 0n, kind: 'deleted' });
  });

  it("an old event's content has no hash to check: an edit of it goes unseen (the documented limit)", async () => {
    const file = copyStore(await upgradedStore(), join(dir.path, `tampered-${++files}.db`));
    const db = new Database(file);
    db.prepare("UPDATE events SET data = replace(data, 'n=1', 'n=9') WHERE stream = ?").run('message-old-1');
    db.close();
    expect((await verifyFile(file)).ok).toBe(true);
  });

  it('a new event whose hash was removed is not mistaken for an old one', async () => {
    const file = copyStore(await upgradedStore(), join(dir.path, `tampered-${++files}.db`));
    const db = new Database(file);
    db.prepare('UPDATE events SET hash = NULL WHERE stream = ? AND revision = 2').run('message-old-0');
    db.close();
    expect((await verifyFile(file)).failure).toMatchObject({ stream: 'message-old-0', revision: 2n, kind: 'unhashed' });
  });

  it('the chain of a stream whose events retention removed entirely goes on from the last removed', async () => {
    const file = join(dir.path, `truncated-${++files}.db`);
    const store = new SqliteEventStore(file);
    await store.append('lease-gone', [noteEvent(0), noteEvent(1), noteEvent(2)], 'no_stream');
    const [, , last] = await store.readStream('lease-gone');
    await store.setStreamMetadata('lease-gone', { truncateBefore: 3n });
    expect(await store.readStream('lease-gone')).toEqual([]);
    await store.append(
      'lease-gone',
      [makeEvent('MessageTerminated', { messageId: 'm', note: 'after' }, { actor: 'test' })],
      2n,
    );
    await store.close();
    const report = await verifyFile(file);
    expect(report.failure).toBeUndefined();
    expect(report.retained).toBe(1);
    expect(last!.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
