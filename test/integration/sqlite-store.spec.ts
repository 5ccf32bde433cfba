import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaViolation } from '../../src/domain/errors.js';
import { StoreCorrupt, WrongExpectedRevision } from '../../src/store/errors.js';
import { makeEvent } from '../../src/store/make-event.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { noteEvent, uniqueName } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('sqlite');
afterAll(() => dir.cleanup());
const fresh = () => join(dir.path, `${uniqueName('db')}.db`);

describe('SQLite store: files that are not ours', () => {
  it('refuses a file that is not SQLite at all, naming the file', () => {
    const file = fresh();
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    expect(() => new SqliteEventStore(file)).toThrow(StoreCorrupt);
    expect(() => new SqliteEventStore(file)).toThrow(file);
  });

  it("refuses another application's SQLite database", () => {
    const file = fresh();
    const other = new Database(file);
    other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    expect(() => new SqliteEventStore(file)).toThrow(/another application/);
  });

  it('refuses a store whose pages were damaged', async () => {
    const file = fresh();
    const store = new SqliteEventStore(file);
    for (let i = 0; i < 200; i++) await store.append(`message-${i}`, [noteEvent(i)], 'no_stream');
    await store.close();
    // Overwrite the middle of the file (B-tree pages) with garbage.
    const bytes = readFileSync(file);
    bytes.fill(0xff, 4096 * 2, 4096 * 6);
    writeFileSync(file, bytes);
    const attempt = async () => {
      const reopened = new SqliteEventStore(file);
      try {
        for await (const _ of reopened.readAll()) void _;
      } finally {
        await reopened.close();
      }
    };
    await expect(attempt()).rejects.toBeInstanceOf(StoreCorrupt);
  });

  it('accepts an empty file and reopens its own store', async () => {
    const file = fresh();
    writeFileSync(file, '');
    const store = new SqliteEventStore(file);
    await store.append('message-a', [noteEvent(1)], 'no_stream');
    await store.close();
    const again = new SqliteEventStore(file);
    expect(await again.streamRevision('message-a')).toBe(0n);
    await again.close();
  });
});

describe('SQLite store: upcasting old events', () => {
  it('reads a LeaseAcquired written at schema version 1 as version 2, leaving the row untouched', async () => {
    const file = fresh();
    const store = new SqliteEventStore(file);
    const fixture = JSON.parse(
      readFileSync(fileURLToPath(new URL('../fixtures/lease-acquired-v1.json', import.meta.url)), 'utf8'),
    ) as {
      stream: string;
      revision: number;
      id: string;
      type: string;
      data: object;
      metadata: object;
      recorded_at: number;
    };
    const raw = new Database(file);
    raw
      .prepare(
        'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        fixture.stream,
        fixture.revision,
        fixture.id,
        fixture.type,
        JSON.stringify(fixture.data),
        JSON.stringify(fixture.metadata),
        fixture.recorded_at,
      );
    raw.close();

    const [event] = await store.readStream(fixture.stream);
    expect(event).toMatchObject({
      type: 'LeaseAcquired',
      data: { resource: 'location-ftp-in', holder: 'worker:host-a/4242', term: 1, ttlMs: 6000 },
      metadata: { schemaVersion: 2 },
    });
    expect(event!.data).not.toHaveProperty('ttlSeconds');
    await store.close();
    const stored = new Database(file, { readonly: true })
      .prepare('SELECT data FROM events WHERE id = ?')
      .get(fixture.id) as {
      data: string;
    };
    expect(JSON.parse(stored.data)).toHaveProperty('ttlSeconds', 6);
  });
});

describe('SQLite store: group commit', () => {
  it('commits concurrent appends together, each caller getting its own result', async () => {
    const store = new SqliteEventStore(fresh());
    const contested = uniqueName('message-');
    await store.append(contested, [noteEvent(0)], 'no_stream');
    const before = store.stats();
    const calls = Array.from({ length: 64 }, (_, i) =>
      i % 8 === 0
        ? store.append(contested, [noteEvent(i)], 0n) // only the first of these can win
        : store.append(uniqueName('message-'), [noteEvent(i)], 'no_stream'),
    );
    const results = await Promise.allSettled(calls);
    const after = store.stats();
    expect(after.appends - before.appends).toBe(64);
    expect(after.transactions - before.transactions).toBeLessThan(8);
    const contestedResults = results.filter((_, i) => i % 8 === 0);
    expect(contestedResults.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of contestedResults.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(WrongExpectedRevision);
    }
    expect(results.filter((r, i) => i % 8 !== 0 && r.status === 'fulfilled')).toHaveLength(56);
    await store.close();
  });

  it.each(['writer', 'caller'] as const)(
    'refuses an append whose event fails its schema without failing the appends committed with it (prepared on the %s thread)',
    async (prepareOn) => {
      const store = new SqliteEventStore(fresh(), { prepareOn });
      const bad = makeEvent('LeaseAcquired', { resource: 'r', holder: 'w1', term: 0, ttlMs: 1000 }, { actor: 'test' });
      const streamsOf = Array.from({ length: 32 }, () => uniqueName('message-'));
      const calls = streamsOf.map((stream, i) =>
        store.append(stream, i % 4 === 0 ? [noteEvent(i), bad] : [noteEvent(i)], 'no_stream'),
      );
      const results = await Promise.allSettled(calls);
      for (const [i, result] of results.entries()) {
        if (i % 4 === 0) {
          expect(result.status).toBe('rejected');
          const reason = (result as PromiseRejectedResult).reason as SchemaViolation;
          expect(reason).toBeInstanceOf(SchemaViolation);
          expect(reason.issues.map((issue) => issue.path)).toContain('data.term');
          expect(await store.streamRevision(streamsOf[i]!)).toBeUndefined();
        } else {
          expect(result.status).toBe('fulfilled');
          expect(await store.streamRevision(streamsOf[i]!)).toBe(0n);
        }
      }
      const [written] = await store.readStream(streamsOf[1]!);
      expect(written!.data).toEqual(noteEvent(1).data);
      await store.close();
    },
  );

  it('an append acknowledged before kill -9 is on disk afterwards', async () => {
    const file = fresh();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./support/append-until-killed.ts', import.meta.url)), file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acked: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 3000 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const store = new SqliteEventStore(file);
    const ids = new Set<string>();
    for await (const event of store.readAll()) ids.add(event.id);
    await store.close();
    const missing = acked.filter((id) => !ids.has(id));
    expect(acked.length).toBeGreaterThanOrEqual(3000);
    expect(missing).toEqual([]);
  }, 60_000);
});
