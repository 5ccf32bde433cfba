import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseBindings } from '../../../src/domain/config/index.js';
import { buildViewAsOf } from '../../../src/projections/as-of.js';
import { configItem } from '../../../src/projections/queries/config.js';
import { listSuspended } from '../../../src/projections/queries/suspended.js';
import { configView } from '../../../src/projections/views/config.js';
import { suspendedView } from '../../../src/projections/views/suspended.js';
import { resumeMessage } from '../../../src/workers/operations.js';
import { recordBindings } from '../../../src/workers/record-config.js';
import { History, ms } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const bindings = (folder: string) =>
  parseBindings({ sendPorts: [{ name: 'erp', adapter: 'file', config: { folder }, filter: 'A.B == 1' }] });

describe('views as of a time', () => {
  it('show what was suspended, and which configuration was live, at that time', async () => {
    const h = new History();
    h.at(0);
    await recordBindings(h.store, bindings('/srv/v1'), 'user:alice');
    await h.at(10).receive('m1', ['erp']);
    await h.at(11).claim('m1', 'erp');
    await h.at(12).fail('m1', 'erp', 'MQRC_Q_FULL', false, false);
    h.at(100);
    await recordBindings(h.store, bindings('/srv/v2'), 'user:bob');
    h.at(200);
    await resumeMessage(h.store, { messageId: 'm1', port: 'erp', actor: 'user:carol' }, () => ({
      subscriptions: [],
      enabledPorts: new Set(['erp']),
    }));
    vi.useRealTimers();

    const at = async (seconds: number) => buildViewAsOf(h.store, [suspendedView, configView], new Date(ms(seconds)));
    const before = await at(5);
    expect(listSuspended(before.db).items).toEqual([]);
    expect(configItem(before.db, 'send-port', 'erp')?.definition).toMatchObject({ config: { folder: '/srv/v1' } });

    const during = await at(150);
    expect(listSuspended(during.db).items.map((s) => [s.messageId, s.port, s.error.code])).toEqual([
      ['m1', 'erp', 'MQRC_Q_FULL'],
    ]);
    expect(configItem(during.db, 'send-port', 'erp')).toMatchObject({
      definition: { config: { folder: '/srv/v2' } },
      definedBy: 'user:bob',
    });

    const after = await at(300);
    expect(listSuspended(after.db).items).toEqual([]);
    expect(after.position).toBe(await h.store.headPosition());
    for (const view of [before, during, after]) view.db.close();

    const beforeAnything = await buildViewAsOf(h.store, [configView], new Date(ms(-1)));
    expect(beforeAnything.position).toBe(0n);
    expect(configItem(beforeAnything.db, 'send-port', 'erp')).toBeUndefined();
    beforeAnything.db.close();
  });
});
