import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBindings } from '../../src/domain/config/index.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { recordBindings } from '../../src/workers/record-config.js';
import { tempDir } from '../support/temp-dir.js';

const root = tempDir('record-config');
afterAll(() => root.cleanup());

const bindings = (folder: string, enabled = true) =>
  parseBindings({
    sendPorts: [{ name: 'out', adapter: 'file', config: { folder }, filter: "BTS.ReceivePortName == 'x'", enabled }],
  });

describe('the configuration a host instance starts with is recorded as events', () => {
  it('records each item once, then only what changed, with the actor; racing instances write it once', async () => {
    const store = new SqliteEventStore(join(root.path, 'store.db'));
    try {
      const first = await Promise.all([
        recordBindings(store, bindings('a'), 'user:alice'),
        recordBindings(store, bindings('a'), 'user:bob'),
      ]);
      expect([...first[0].changed, ...first[1].changed].sort()).toEqual([
        'host/default',
        'send-port/out',
        'subscription/out',
      ]);
      expect((await recordBindings(store, bindings('a'), 'user:alice')).changed).toEqual([]);
      expect((await recordBindings(store, bindings('b', false), 'user:carol')).changed).toEqual([
        'send-port/out',
        'subscription/out',
      ]);
      const port = await store.readStream('config-send-port-out');
      expect(port.map((e) => `${e.type}:${e.metadata.actor}`)).toEqual([
        expect.stringMatching(/^ConfigDefined:user:(alice|bob)$/),
        'ConfigDefined:user:carol',
        'ConfigDisabled:user:carol',
      ]);
      expect(port[1]!.data).toMatchObject({ kind: 'send-port', name: 'out', definition: { config: { folder: 'b' } } });
    } finally {
      await store.close();
    }
  });
});
