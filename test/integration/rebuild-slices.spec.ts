import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { viewChecksum } from '../../src/projections/checksum.js';
import { operatorProjections } from '../../src/projections/operator-views.js';
import { rebuildViews } from '../../src/projections/rebuild.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import {
  compareCodePoints,
  messageRanges,
  openForReading,
  ownsMessage,
} from '../../src/store/sqlite/partition-pages.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { resumeMessage, terminateMessage } from '../../src/workers/operations.js';
import { tempDir } from '../support/temp-dir.js';
import { History } from '../unit/projections/history.js';

const root = tempDir('rebuild-slices');
afterAll(() => root.cleanup());
beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });
// The last id has a character outside the BMP, which JavaScript holds as two UTF-16 units and
// SQLite as one: it sorts differently in the two unless compared by code point.
const ids = ['m-0', 'm-1', 'm-2', 'm-a', 'm-b', 'm-c', 'm-x', 'm-\u{1F600}'];
// Replayed copies (`c-…`, the lowest ids) of originals among the highest, and requests whose
// replies are far from them in id order: both cross slices.
const replays = [
  ['c-1', 'm-x'],
  ['c-0', 'm-c'],
  ['c-\u{1F600}', 'm-\u{1F600}'],
] as const;
const correlations = [
  ['m-1', 'm-x'],
  ['m-b', 'm-\u{1F600}'],
] as const;

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
  for (const [copy, original] of replays) {
    await h.at(t++).receive(copy, ['out']);
    await h.append(`message-${copy}`, 'MessageReplayed', {
      messageId: copy,
      originalMessageId: original,
      replayId: 'r-1',
      sendPort: 'out',
    });
  }
  for (const [request, reply] of correlations) {
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

  it.each([
    ['after a second try', undefined],
    ['under the live write lock', 0],
  ])('catches merged slices up when the live views moved on during the rebuild: %s', async (how, optimisticSwaps) => {
    const dir = join(root.path, `moved-on-${optimisticSwaps ?? 'default'}`);
    mkdirSync(dir);
    const store = await crossingHistory(join(dir, 'signalbox.db'));
    const live = openViewDatabase(join(dir, 'views.db'));
    try {
      const seen = await store.headPosition();
      // events written after the rebuild looked at the head, applied live before its swap
      const late = new History();
      await late.at(2_000).receive('m-late', ['out']);
      await late.at(2_001).claim('m-late', 'out');
      await late.at(2_002).receive('a-late', ['out', 'audit']);
      await late.at(2_003).claim('a-late', 'audit');
      await copyHistory(late, store);
      for (const p of operatorProjections) await new ProjectionRunner(store, live, p).catchUp();
      const followed = operatorProjections.map((p) => viewChecksum(live, p).checksum);
      // the rebuild's first look at the head sees it as it was before the late events
      let looked = false;
      const lookedEarly = new Proxy(store, {
        get: (target, key) =>
          key === 'headPosition' && !looked
            ? () => ((looked = true), Promise.resolve(seen))
            : (Reflect.get(target, key, target) as unknown),
      });
      const result = await rebuildViews(lookedEarly, live, operatorProjections, {
        threads: 2,
        batchSize: 4,
        ...(optimisticSwaps === undefined ? {} : { optimisticSwaps }),
      });
      expect(result.position).toBe(await store.headPosition());
      expect(result.underLock).toBe(optimisticSwaps === 0);
      for (const [i, view] of result.views.entries()) {
        // under the lock no checksum is taken: the engines' runners would wait for it
        expect(view.checksum, view.view).toBe(optimisticSwaps === 0 ? undefined : followed[i]);
        expect(view.liveChecksum, view.view).toBe(optimisticSwaps === 0 ? undefined : followed[i]);
        expect(viewChecksum(live, operatorProjections[i]!).checksum, `${view.view} ${how}`).toBe(followed[i]);
      }
      expect(result.views.find((v) => v.view === 'tracking')!.events).toBe(Number(await store.headPosition()));
      expect(live.prepare("SELECT status FROM tracking_messages WHERE message_id = 'm-late'").pluck().get()).toBe(
        'sending',
      );
      expect(readdirSync(dir).filter((name) => name.includes('.rebuild'))).toEqual([]);
    } finally {
      live.close();
      await store.close();
    }
  });

  it('places a message in a slice as the SQL that reads its stream does, by code point', () => {
    const db = new Database(':memory:');
    try {
      const all = [
        ...ids,
        'c-1',
        '0192f5c0-7d2e-7a11-9b3c-5f1e2d3c4b5a',
        'é',
        '\uE000',
        '\uFFFF',
        'x\u{10FFFF}',
        'x',
        '',
      ];
      const sqlCompare = db.prepare('SELECT CASE WHEN ? < ? THEN -1 WHEN ? > ? THEN 1 ELSE 0 END').pluck();
      const inRange = db
        .prepare("SELECT 'message-' || ? >= 'message-' || ? AND 'message-' || ? < 'message-' || ?")
        .pluck();
      for (const a of all) {
        for (const b of all) {
          expect(Math.sign(compareCodePoints(a, b)), `${a} vs ${b}`).toBe(sqlCompare.get(a, b, a, b));
          for (const id of all) {
            const partition = { index: 0, count: 2, shared: [], from: a, to: b };
            expect(ownsMessage(partition, id), `${id} in [${a}, ${b})`).toBe(inRange.get(id, a, id, b) === 1);
          }
        }
      }
    } finally {
      db.close();
    }
  });

  it('cuts the messages into ranges of about as many events, each message in exactly one', async () => {
    const dir = join(root.path, 'ranges');
    mkdirSync(dir);
    const store = await crossingHistory(join(dir, 'signalbox.db'));
    const db = openForReading(join(dir, 'signalbox.db'));
    try {
      const messages = [...ids, ...replays.map(([copy]) => copy)];
      for (const count of [1, 2, 3, 8]) {
        const slices = messageRanges(db, count).map((range, index) => ({ index, count, shared: [], ...range }));
        expect(slices).toHaveLength(count);
        for (const id of messages)
          expect(
            slices.filter((s) => ownsMessage(s, id)),
            id,
          ).toHaveLength(1);
        if (count === 1) continue;
        // the history crosses slices: copies and originals, requests and replies
        const sliceOf = (id: string) => slices.findIndex((s) => ownsMessage(s, id));
        for (const pairs of [replays, correlations])
          expect(pairs.filter(([a, b]) => sliceOf(a) !== sliceOf(b)).length, `${count} slices`).toBeGreaterThan(0);
      }
    } finally {
      db.close();
      await store.close();
    }
  });

  it('balances the slices by events, whatever the ids look like', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO events (stream) VALUES (?)');
      // 20,000 messages of 1 to 9 events each, interleaved as an engine writes them, with ids of
      // mixed shapes, and other streams between them
      let seed = 7;
      const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const open: { id: string; left: number }[] = [];
      const perMessage = new Map<string, number>();
      db.transaction(() => {
        for (let n = 0; n < 20_000 || open.length > 0;) {
          if (n < 20_000 && (open.length < 50 || random() < 0.3)) {
            const id =
              random() < 0.5 ? `order-${Math.floor(random() * 1e9)}` : `${Math.floor(random() * 1e12).toString(36)}é`;
            open.push({ id, left: 1 + Math.floor(random() * 9) });
            n++;
          }
          const i = Math.floor(random() * open.length);
          const message = open[i]!;
          insert.run(`message-${message.id}`);
          perMessage.set(message.id, (perMessage.get(message.id) ?? 0) + 1);
          if (--message.left === 0) open.splice(i, 1);
          if (random() < 0.05) insert.run('location-sftp-in');
        }
      })();
      const total = [...perMessage.values()].reduce((a, b) => a + b, 0);
      const slices = messageRanges(db, 4).map((range, index) => ({ index, count: 4, shared: [], ...range }));
      for (const slice of slices) {
        let events = 0;
        for (const [id, n] of perMessage) if (ownsMessage(slice, id)) events += n;
        expect(events / total, `slice ${slice.index}`).toBeGreaterThan(0.2);
        expect(events / total, `slice ${slice.index}`).toBeLessThan(0.3);
      }
    } finally {
      db.close();
    }
  });
});
