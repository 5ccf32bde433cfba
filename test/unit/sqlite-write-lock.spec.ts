import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { WriteLock } from '../../src/store/sqlite/write-lock.js';
import { uniqueName } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('write-lock');
afterAll(() => dir.cleanup());

function open(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 0');
  return db;
}

function pair(): { a: Database.Database; b: Database.Database } {
  const file = join(dir.path, `${uniqueName('db')}.db`);
  const a = open(file);
  a.exec('CREATE TABLE t (n INTEGER)');
  return { a, b: open(file) };
}

describe('WriteLock', () => {
  it('commits what the body wrote and returns its result', () => {
    const { a, b } = pair();
    const result = new WriteLock(a, { timeoutMs: 100 }).transaction(() => a.prepare('INSERT INTO t VALUES (1)').run());
    expect(result.changes).toBe(1);
    expect(b.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    a.close();
    b.close();
  });

  it('keeps nothing and releases the lock when the body throws', () => {
    const { a, b } = pair();
    const lock = new WriteLock(a, { timeoutMs: 100 });
    expect(() =>
      lock.transaction(() => {
        a.prepare('INSERT INTO t VALUES (1)').run();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(a.inTransaction).toBe(false);
    expect(b.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    b.exec('BEGIN IMMEDIATE; COMMIT'); // the lock is free
    a.close();
    b.close();
  });

  it('throws SQLITE_BUSY once another connection has held the lock past the timeout', () => {
    const { a, b } = pair();
    b.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    let caught: unknown;
    try {
      new WriteLock(a, { timeoutMs: 50 }).transaction(() => 1);
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(a.inTransaction).toBe(false);
    b.exec('ROLLBACK');
    expect(new WriteLock(a, { timeoutMs: 50 }).transaction(() => 2)).toBe(2);
    a.close();
    b.close();
  });
});
