import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LocalWorkQueue } from '../../src/bus/local/index.js';
import type { SendWork } from '../../src/bus/send-work.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { openSendsView } from '../../src/projections/views/open-sends.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { Dispatcher, NEW_WORK_SQL, type DispatcherOptions } from '../../src/workers/dispatcher.js';
import { silentLogger } from '../../src/workers/logger.js';
import { receivedEvent, uniqueName } from '../support/events.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('dispatcher');
afterAll(() => dir.cleanup());
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A store with `count` routed messages, and a view that has applied them all. */
async function routedView(count: number): Promise<{ views: Database.Database; ids: string[] }> {
  const folder = join(dir.path, uniqueName('case'));
  const store = new SqliteEventStore(`${folder}-events.db`);
  const views = openViewDatabase(`${folder}-views.db`);
  open.push(store, views);
  const ids = Array.from({ length: count }, () => uniqueName('m'));
  await Promise.all(ids.map((id) => store.append(`message-${id}`, [receivedEvent(id)], 'no_stream')));
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
  const publish = queue.publish.bind(queue);
  queue.publish = async (work) => {
    if (work.messageId === failFor) throw new Error('the queue is unreachable');
    published.push(work);
    return publish(work);
  };
  return { queue, published };
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
