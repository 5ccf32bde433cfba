import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { viewChecksum } from '../../src/projections/checksum.js';
import { operatorProjections } from '../../src/projections/operator-views.js';
import { rebuildViews } from '../../src/projections/rebuild.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { messagePartition } from '../../src/store/sqlite/partition-pages.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { resumeMessage, terminateMessage } from '../../src/workers/operations.js';
import { tempDir } from '../support/temp-dir.js';
import { History } from '../unit/projections/history.js';

const root = tempDir('rebuild-slices');
afterAll(() => root.cleanup());
beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });
// Ids ending in different characters land in different slices; the last one ends in a
// character outside the BMP, which JavaScript holds as two UTF-16 units and SQLite as one.
const ids = ['m-0', 'm-1', 'm-2', 'm-a', 'm-b', 'm-c', 'm-x', 'm-\u{1F600}'];

/**
 * A history whose events cross slices: replayed copies whose original is in another slice, and
 * request/reply pairs linked through correlation streams, besides retries, suspensions, resumes
 * and terminations. Written to a SQLite store, as a slice's thread reads one.
 */
async function crossingHistory(file: string): Promise<SqliteEventStore> {
  const h = new History();
  let t = 0;
  for (const [i, id] of ids.entries()) {
    await h.at(t++).receive(id, i % 4 === 3 ? [] : ['out', 'audit'], {
      context: { promoted: { 'ORD.Region': i % 2 === 0 ? 'eu' : 'us' }, written: { 'ORD.Line': i } },
    });
    if (i % 4 === 3) continue;
    await h.at(t++).claim(id, 'out');
    if (i % 3 === 0) {
      await h.at(t++).fail(id, 'out', 'DISK_FULL', false, false);
      continue;
    }
    await h.at(t++).sent(id, 'out');
    await h.at(t++).claim(id, 'audit');
    await h.at(t++).sent(id, 'audit');
  }
  await resumeMessage(h.at(t++).store, { messageId: 'm-0', port: 'out', actor: 'user:ops' }, noSubscriptions);
  await terminateMessage(h.at(t++).store, { messageId: 'm-a', actor: 'user:ops', note: 'not ours' });
  // a copy in one slice, its original in the other (for 2 and 3 slices alike)
  for (const [copy, original] of [
    ['c-1', 'm-0'],
    ['c-0', 'm-1'],
    ['c-\u{1F600}', 'm-2'],
  ] as const) {
    await h.at(t++).receive(copy, ['out']);
    await h.append(`message-${copy}`, 'MessageReplayed', {
      messageId: copy,
      originalMessageId: original,
      replayId: 'r-1',
      sendPort: 'out',
    });
  }
  for (const [request, reply] of [
    ['m-1', 'm-2'],
    ['m-b', 'm-\u{1F600}'],
  ] as const) {
    await h.at(t++).append(`correlation-orders-${request}`, 'CorrelationInitialized', {
      set: 'orders',
      key: request,
      messageId: request,
      port: 'out',
      keySource: 'engine',
    });
    await h.append(`correlation-orders-${request}`, 'CorrelationFollowed', {
      set: 'orders',
      key: request,
      messageId: reply,
      requestMessageId: request,
    });
  }
  const store = new SqliteEventStore(file);
  await copyHistory(h, store);
  return store;
}

/** Appends a history's events to a SQLite store, in their order. */
async function copyHistory(h: History, store: SqliteEventStore): Promise<void> {
  for await (const event of h.store.readAll()) {
    await store.append(event.streamId, [{ ...event, id: event.id, metadata: event.metadata }], 'any');
  }
}

describe('rebuild in slices of the messages, one thread each', () => {
  it('gives the live checksum of every view with 1, 2 and 3 threads, and leaves no side file behind', async () => {
    const dir = join(root.path, 'crossing');
    mkdirSync(dir);
    const store = await crossingHistory(join(dir, 'signalbox.db'));
    const live = openViewDatabase(join(dir, 'views.db'));
    // an engine's connection, opened before any rebuild: it must follow the swaps
    const engine = openViewDatabase(join(dir, 'views.db'));
    const tracking = operatorProjections.find((p) => p.name === 'tracking')!;
    const engineRunner = new ProjectionRunner(store, engine, tracking);
    try {
      const head = await store.headPosition();
      for (const p of operatorProjections) await new ProjectionRunner(store, live, p, { batchSize: 3 }).catchUp();
      const followed = operatorProjections.map((p) => viewChecksum(live, p).checksum);
      for (const threads of [1, 2, 3]) {
        const result = await rebuildViews(store, live, operatorProjections, { threads, batchSize: 4 });
        expect(result.position).toBe(head);
        expect(result.threads).toBe(threads);
        for (const [i, view] of result.views.entries()) {
          expect(view.view).toBe(operatorProjections[i]!.name);
          expect(view.checksum, `${view.view} with ${threads} threads`).toBe(followed[i]);
          expect(view.liveChecksum, `${view.view} with ${threads} threads`).toBe(followed[i]);
        }
        // every event of the history counted once, shared ones too
        const tracking = result.views.find((v) => v.view === 'tracking')!;
        expect(tracking.events).toBe(Number(head));
        expect(tracking.rows.tracking_messages).toBe(ids.length + 3);
      }
      expect(
        live.prepare("SELECT reply_message_id FROM tracking_messages WHERE message_id = 'm-b'").pluck().get() as string,
      ).toBe('m-\u{1F600}');
      expect(readdirSync(dir).filter((name) => name.includes('.rebuild'))).toEqual([]);
      // each sliced view in a file of its own: the current one and the one it replaced
      const own = readdirSync(dir).filter((name) => /^views\.(tracking|properties)\.[0-9a-z]+\.db$/.test(name));
      expect(own).toHaveLength(4);

      // the engine's connection last looked before the swaps: its next batch goes to the new files
      const late = new History();
      await late.at(1_000).receive('late', ['out']);
      await copyHistory(late, store);
      await engineRunner.catchUp();
      const reader = openViewDatabase(join(dir, 'views.db'));
      try {
        const status = reader.prepare("SELECT status FROM tracking_messages WHERE message_id = 'late'").pluck();
        expect(status.get()).toBe('routed');
        expect(
          reader.prepare("SELECT count(*) FROM main.sqlite_master WHERE name = 'tracking_messages'").pluck().get(),
        ).toBe(0);
      } finally {
        reader.close();
      }

      // a store other threads cannot open (EventStoreDB) is read in this thread: the views are
      // copied back into the view file and their own files let go
      for (const p of operatorProjections) await new ProjectionRunner(store, engine, p).catchUp();
      const followedNow = operatorProjections.map((p) => viewChecksum(engine, p).checksum);
      const unshared = new Proxy(store, {
        get: (target, key) => (key === 'sqliteFile' ? undefined : (Reflect.get(target, key, target) as unknown)),
      });
      const inThread = await rebuildViews(unshared, live, operatorProjections);
      expect(inThread.threads).toBe(0);
      for (const [i, view] of inThread.views.entries()) {
        expect(view.checksum, view.view).toBe(followedNow[i]);
        expect(view.liveChecksum, view.view).toBe(followedNow[i]);
      }
      expect(live.prepare('SELECT count(*) FROM view_files').pluck().get()).toBe(0);
      expect(
        live.prepare("SELECT count(*) FROM main.sqlite_master WHERE name = 'tracking_messages'").pluck().get(),
      ).toBe(1);
    } finally {
      engine.close();
      live.close();
      await store.close();
    }
  });

  it('puts a message in the same slice as the SQL that reads its stream', () => {
    const db = new Database(':memory:');
    try {
      const bySql = db.prepare("SELECT unicode(substr('message-' || ?, -1)) % ?").pluck();
      for (const id of [...ids, 'c-1', '0192f5c0-7d2e-7a11-9b3c-5f1e2d3c4b5a', 'é', 'x\u{10FFFF}'])
        for (const count of [2, 3, 4])
          expect(messagePartition(id, count), `${id} of ${count}`).toBe(bySql.get(id, count));
    } finally {
      db.close();
    }
  });
});
