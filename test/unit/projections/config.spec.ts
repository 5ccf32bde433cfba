import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configItem, configItems } from '../../../src/projections/queries/config.js';
import { configView } from '../../../src/projections/views/config.js';
import { History, iso } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const erp = { address: 'https://erp.example/orders', adapter: 'http', retry: { count: 3 } };

describe('configuration view', () => {
  it('keeps the live items with their definition, enabled state and who changed them', async () => {
    const h = new History();
    const stream = 'config-send-port-erp';
    await h.at(0).append(stream, 'ConfigDefined', { kind: 'send-port', name: 'erp', definition: erp }, 'user:alice');
    await h.at(1).append(
      'config-receive-location-ftp-in',
      'ConfigDefined',
      {
        kind: 'receive-location',
        name: 'ftp-in',
        definition: { adapter: 'ftp', address: 'ftp://files.example/in' },
      },
      'token:deploy-bot',
    );
    await h.at(5).append(stream, 'ConfigDisabled', { kind: 'send-port', name: 'erp' }, 'user:bob');
    const redefined = { ...erp, retry: { count: 5 } };
    await h
      .at(6)
      .append(stream, 'ConfigDefined', { kind: 'send-port', name: 'erp', definition: redefined }, 'user:carol');
    const db = await h.view(configView);

    // Redefining an item keeps it disabled.
    expect(configItem(db, 'send-port', 'erp')).toEqual({
      kind: 'send-port',
      name: 'erp',
      definition: redefined,
      enabled: false,
      createdAt: iso(0),
      definedAt: iso(6),
      definedBy: 'user:carol',
      changedAt: iso(6),
      changedBy: 'user:carol',
    });
    expect(configItems(db, { enabled: true }).map((i) => `${i.kind}/${i.name}`)).toEqual(['receive-location/ftp-in']);

    await h.at(7).append(stream, 'ConfigEnabled', { kind: 'send-port', name: 'erp' }, 'user:bob');
    await h.view(configView, 500, db);
    expect(configItem(db, 'send-port', 'erp')).toMatchObject({
      enabled: true,
      definedBy: 'user:carol',
      changedBy: 'user:bob',
      changedAt: iso(7),
    });

    // Removed: gone; enabling what is not live changes nothing; defined again: a new, enabled item.
    await h.at(8).append(stream, 'ConfigRemoved', { kind: 'send-port', name: 'erp' }, 'user:alice');
    await h.at(9).append(stream, 'ConfigEnabled', { kind: 'send-port', name: 'erp' }, 'user:alice');
    await h.view(configView, 500, db);
    expect(configItem(db, 'send-port', 'erp')).toBeUndefined();
    expect(configItems(db).map((i) => i.name)).toEqual(['ftp-in']);

    await h.at(10).append(stream, 'ConfigDisabled', { kind: 'send-port', name: 'erp' }, 'user:alice');
    await h.at(11).append(stream, 'ConfigDefined', { kind: 'send-port', name: 'erp', definition: erp }, 'user:dana');
    await h.view(configView, 500, db);
    expect(configItem(db, 'send-port', 'erp')).toMatchObject({
      enabled: true,
      createdAt: iso(11),
      definedBy: 'user:dana',
    });
    expect(configItems(db, { kind: 'receive-location' })).toEqual([
      {
        kind: 'receive-location',
        name: 'ftp-in',
        definition: { adapter: 'ftp', address: 'ftp://files.example/in' },
        enabled: true,
        createdAt: iso(1),
        definedAt: iso(1),
        definedBy: 'token:deploy-bot',
        changedAt: iso(1),
        changedBy: 'token:deploy-bot',
      },
    ]);
  });
});
