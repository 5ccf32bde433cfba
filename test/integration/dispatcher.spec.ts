import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import type { SendWork } from '../../src/bus/send-work.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { openSendsView } from '../../src/projections/views/open-sends.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { makeEvent } from '../../src/store/make-event.js';
import { Dispatcher, NEW_WORK_SQL, STALE_CLAIMS_SQL, type DispatcherOptions } from '../../src/workers/dispatcher.js';
import { silentLogger } from '../../src/workers/logger.js';
import { receivedEvent, uniqueName } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('dispatcher');
afterAll(() => dir.cleanup());
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/**
 * A store with `count` routed messages, and a view that has applied them all. `claimedAtReceipt`:
 * each was claimed in its `MessageReceived` append, as a worker sending at receipt does.
 */
async function routedView(
  count: number,
  claimedAtReceipt = false,
): Promise<{ views: Database.Database; ids: string[] }> {
  const folder = join(dir.path, uniqueName('case'));
  const store = new SqliteEventStore(`${folder}-events.db`);
  const views = openViewDatabase(`${folder}-views.db`);
  open.push(store, views);
  const ids = Array.from({ length: count }, () => uniqueName('m'));
  const claim = (id: string) =>
    makeEvent('SendClaimed', { messageId: id, port: 'bench-out', attempt: 1, worker: 'w1' }, { actor: 'worker:w1' });
  await Promise.all(
    ids.map((id) =>
      store.append(`message-${id}`, [receivedEvent(id), ...(claimedAtReceipt ? [claim(id)] : [])], 'no_stream'),
    ),
  );
  const head = await store.headPosition();
  const runner = new ProjectionRunner(store, views, openSendsView);
  const caughtUp = new AbortController();
  const running = runner.run(caughtUp.signal);
  while (runner.checkpoint < head) await new Promise((r) => setTimeout(r, 10));
  caughtUp.abort();
  await running;
  return { views, ids };
}

/** The embedded queue, recording every publish; `failFor` makes the publishes of one message fail. */
function recordingQueue(failFor?: string) {
  const queue = new LocalWorkQueue(join(dir.path, `${uniqueName('q')}.db`));
  open.push(queue);
  const published: SendWork[] = [];
  const duplicates: SendWork[] = [];
  const publish = queue.publish.bind(queue);
  queue.publish = async (work) => {
    if (work.messageId === failFor) throw new Error('the queue is unreachable');
    published.push(work);
    const result = await publish(work);
    if (result.duplicate) duplicates.push(work);
    return result;
  };
  return { queue, published, duplicates };
}

function dispatcher(views: Database.Database, queue: LocalWorkQueue, options: Partial<DispatcherOptions> = {}) {
  return new Dispatcher({ views, queue, logger: silentLogger, ...options });
}

/** Publishes page after page until a page publishes nothing. */
async function drain(d: Dispatcher): Promise<number> {
  let total = 0;
  for (let n = await d.publishDue(); n > 0; n = await d.publishDue()) total += n;
  return total;
}

describe('dispatcher over the open-sends view', () => {
  it('publishes the work of every routed send once, page by page, and nothing more while it is fresh', async () => {
    const { views, ids } = await routedView(1_200);
    const { queue, published } = recordingQueue();
    const d = dispatcher(views, queue);
    expect(await drain(d)).toBe(1_200);
    expect(new Set(published.map((w) => w.messageId))).toEqual(new Set(ids));
    expect(published.every((w) => w.port === 'bench-out' && w.attempt === 1)).toBe(true);
    expect(await d.publishDue()).toBe(0);
  });

  it('finds new work through an index, without scanning or sorting the sends already published', async () => {
    const { views } = await routedView(10);
    const plan = (views.prepare(`EXPLAIN QUERY PLAN ${NEW_WORK_SQL}`).all(500) as { detail: string }[]).map(
      (row) => row.detail,
    );
    expect(plan).toEqual(['SCAN open_sends USING INDEX open_sends_unpublished']);
  });

  it('republishes open sends whose work went out longer ago than republishAfterMs, when the reconciler is due', async () => {
    const { views } = await routedView(50);
    const { queue, published } = recordingQueue();
    const d = dispatcher(views, queue, { republishAfterMs: 0, reconcileEveryMs: 0 });
    expect(await d.publishDue()).toBe(50);
    await new Promise((r) => setTimeout(r, 5));
    // Every send is still open (nobody sent), and its work is older than 0 ms: the queue may
    // have lost it, so it goes out again.
    expect(await d.publishDue()).toBe(50);
    expect(published).toHaveLength(100);

    const { queue: other, published: again } = recordingQueue();
    const patient = dispatcher(views, other, { republishAfterMs: 0, reconcileEveryMs: 60_000 });
    await new Promise((r) => setTimeout(r, 5));
    expect(await patient.publishDue()).toBe(50);
    await new Promise((r) => setTimeout(r, 5));
    // The reconciler ran on the first look; the next one is a minute away.
    expect(await patient.publishDue()).toBe(0);
    expect(again).toHaveLength(50);
  });

  it('a republish is a reissue with its own dedup key, so the queue cannot drop it as a duplicate of the lost one', async () => {
    const { views } = await routedView(5);
    const { queue, published, duplicates } = recordingQueue();
    const d = dispatcher(views, queue, { republishAfterMs: 0, reconcileEveryMs: 0 });
    expect(await d.publishDue()).toBe(5);
    expect(published.every((w) => w.reissue === undefined)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await d.publishDue()).toBe(5);
    const reissues = published.slice(5);
    expect(reissues.every((w) => typeof w.reissue === 'number')).toBe(true);
    // Within the queue's dedup window: the first keys are still remembered, the reissues get in.
    expect(duplicates).toEqual([]);
    // A node that never published them (a new dispatcher holder, its own view) publishes the
    // plain keys: the queue's dedup keeps one copy of each.
    views.exec('UPDATE open_sends SET published_attempt = NULL, published_at = NULL');
    expect(await dispatcher(views, queue).publishDue()).toBe(5);
    expect(duplicates.map((w) => w.reissue)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('claims made at receipt get no work until they are stale; then their work is published once per period', async () => {
    const { views, ids } = await routedView(30, true);
    const { queue, published } = recordingQueue();
    const patient = dispatcher(views, queue, { claimStaleAfterMs: 60_000, reconcileEveryMs: 0 });
    // Claimed sends are in progress: no new work, and not stale yet.
    expect(await patient.publishDue()).toBe(0);
    const recovering = dispatcher(views, queue, {
      claimStaleAfterMs: 0,
      republishAfterMs: 60_000,
      reconcileEveryMs: 0,
    });
    await new Promise((r) => setTimeout(r, 5));
    // Their workers are gone: the work goes out, so that a worker records the lost attempt.
    expect(await recovering.publishDue()).toBe(30);
    expect(new Set(published.map((w) => w.messageId))).toEqual(new Set(ids));
    expect(published.every((w) => w.attempt === 1 && w.reissue === undefined)).toBe(true);
    // Published now: not again until that publish is itself stale.
    expect(await recovering.publishDue()).toBe(0);
  });

  it('finds stale claims through the (status, due_at) index, reading only claimed sends', async () => {
    const { views } = await routedView(10, true);
    const plan = (views.prepare(`EXPLAIN QUERY PLAN ${STALE_CLAIMS_SQL}`).all(0, 0, 500) as { detail: string }[]).map(
      (row) => row.detail,
    );
    expect(plan).toEqual(['SEARCH open_sends USING INDEX open_sends_due (status=?)']);
  });

  it('a publish that fails leaves its send to the next look, and the others are not published twice', async () => {
    const { views, ids } = await routedView(20);
    const { queue, published } = recordingQueue(ids[7]);
    const d = dispatcher(views, queue);
    await expect(d.publishDue()).rejects.toThrow('the queue is unreachable');
    expect(published).toHaveLength(19);
    const { queue: healthy, published: retried } = recordingQueue();
    expect(await dispatcher(views, healthy).publishDue()).toBe(1);
    expect(retried.map((w) => w.messageId)).toEqual([ids[7]]);
  });
});
