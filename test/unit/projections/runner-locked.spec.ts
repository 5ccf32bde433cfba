import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../../../src/projections/runner.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { suspendedView } from '../../../src/projections/views/suspended.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { tempDir } from '../../support/temp-dir.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';

const dir = tempDir('runner-locked');
afterAll(() => dir.cleanup());

const received = (messageId: string) =>
  makeEvent(
    'MessageReceived',
    {
      messageId,
      receiveLocation: 'in',
      receivePort: 'orders',
      adapter: 'file',
      contentType: 'text/plain',
      body: { kind: 'inline', encoding: 'utf8', content: 'x', size: 1, sha256: 'a'.repeat(64) },
      context: { promoted: {}, written: {} },
      routing: { sendPorts: ['out'], subscriptions: ['out'] },
    },
    { actor: 'worker:w1' },
  );

describe('a followed view whose file another connection keeps locked', () => {
  it('ends its run with the lock error instead of throwing it where no caller catches it, and a new run applies the batch', async () => {
    const file = `${dir.path}/views.db`;
    const store = new MemoryEventStore();
    const db = openViewDatabase(file);
    db.pragma('busy_timeout = 50');
    const runner = new ProjectionRunner(store, db, suspendedView);
    // a rebuild's swap, say: holds the view file's write lock
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const controller = new AbortController();
    try {
      const run = runner.run(controller.signal);
      await store.append('message-m1', [received('m1')], 'no_stream');
      await expect(run).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      expect(uncaught).toEqual([]);
      expect(runner.checkpoint).toBe(0n);

      other.exec('COMMIT');
      const again = runner.run(controller.signal);
      for (let i = 0; i < 100 && runner.checkpoint === 0n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(runner.checkpoint).toBe(1n);
      expect(db.prepare("SELECT receive_location FROM suspended_origins WHERE message_id = 'm1'").pluck().get()).toBe(
        'in',
      );
      controller.abort();
      await again.catch(() => undefined);
    } finally {
      process.off('uncaughtException', onUncaught);
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      db.close();
    }
  });
});
