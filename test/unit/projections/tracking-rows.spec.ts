import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyTracking } from '../../../src/projections/views/tracking-reducer.js';
import { TrackingRows } from '../../../src/projections/views/tracking-rows.js';
import { trackingView } from '../../../src/projections/views/tracking.js';
import { resumeMessage } from '../../../src/workers/operations.js';
import { dump, History } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const noSubscriptions = () => ({ subscriptions: [], enabledPorts: new Set<string>() });

describe('tracking rows in a rebuild', () => {
  it('come out the same when the cache lets rows go and a later event needs them back', async () => {
    const h = new History();
    let t = 0;
    for (let i = 0; i < 12; i++) await h.at(t++).receive(`m${i}`, ['out']);
    for (let i = 0; i < 12; i++) {
      await h.at(t++).claim(`m${i}`, 'out');
      if (i % 3 === 0) await h.at(t++).fail(`m${i}`, 'out', 'DISK_FULL', false, false);
      else await h.at(t++).sent(`m${i}`, 'out');
    }
    // long after its rows were let go, a message is resumed and sent
    await resumeMessage(h.at(t++).store, { messageId: 'm0', port: 'out', actor: 'user:ops' }, noSubscriptions);
    await h.at(t++).claim('m0', 'out');
    await h.at(t++).sent('m0', 'out');
    const followed = await h.view(trackingView, 1);

    for (const cachedMessages of [1, 3, 100]) {
      const side = new Database(':memory:');
      trackingView.setup(side);
      const rows = new TrackingRows(side, { exclusive: true, cachedMessages });
      const apply = side.transaction(() => {
        for (const event of page) applyTracking(rows, event);
        rows.flush();
      });
      let page: Parameters<typeof applyTracking>[1][] = [];
      for await (const event of h.store.readAll()) {
        page.push(event);
        if (page.length === 2) {
          apply();
          page = [];
        }
      }
      apply();
      expect(dump(side, trackingView), `cache of ${cachedMessages}`).toEqual(dump(followed, trackingView));
      side.close();
    }
  });
});
