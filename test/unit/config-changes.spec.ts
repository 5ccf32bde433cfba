import { describe, expect, it } from 'vitest';
import {
  configChanges,
  configItemsOf,
  evolveConfigItem,
  initialConfigItem,
  parseBindings,
  type ConfigEvent,
  type ConfigItem,
  type ConfigItemState,
} from '../../src/domain/config/index.js';

const port = (definition: Record<string, unknown>, enabled = true): ConfigItem => ({
  kind: 'send-port',
  name: 'out',
  definition: { name: 'out', ...definition },
  enabled,
});

const fold = (events: ConfigEvent[], from: ConfigItemState = initialConfigItem) =>
  events.reduce(evolveConfigItem, from);

describe('configuration changes from a bindings file', () => {
  it('defines a new item, enabled; a disabled new item also gets ConfigDisabled', () => {
    expect(configChanges(initialConfigItem, port({ adapter: 'file' })).map((e) => e.type)).toEqual(['ConfigDefined']);
    const disabled = configChanges(initialConfigItem, port({ adapter: 'file' }, false));
    expect(disabled.map((e) => e.type)).toEqual(['ConfigDefined', 'ConfigDisabled']);
    expect(fold(disabled)).toMatchObject({ enabled: false, removed: false });
  });

  it('writes nothing when the stream already says what the file says, whatever the key order', () => {
    const state = fold(configChanges(initialConfigItem, port({ adapter: 'file', config: { a: 1, b: 2 } })));
    expect(configChanges(state, port({ config: { b: 2, a: 1 }, adapter: 'file' }))).toEqual([]);
  });

  it('a changed definition is redefined and keeps its enabled state; a toggle is its own event', () => {
    const disabled = fold(configChanges(initialConfigItem, port({ adapter: 'file' }, false)));
    const changed = configChanges(disabled, port({ adapter: 'nats' }, false));
    expect(changed.map((e) => e.type)).toEqual(['ConfigDefined']);
    expect(fold(changed, disabled)).toMatchObject({ enabled: false, definition: { adapter: 'nats' } });
    const enabled = configChanges(fold(changed, disabled), port({ adapter: 'nats' }, true));
    expect(enabled.map((e) => e.type)).toEqual(['ConfigEnabled']);
  });

  it('an item defined again after removal is live and enabled', () => {
    const removed = fold([
      ...configChanges(initialConfigItem, port({ adapter: 'file' })),
      { type: 'ConfigRemoved', data: { kind: 'send-port', name: 'out' } },
    ]);
    expect(removed).toMatchObject({ removed: true, enabled: false });
    const again = configChanges(removed, port({ adapter: 'file' }));
    expect(again.map((e) => e.type)).toEqual(['ConfigDefined']);
    expect(fold(again, removed)).toMatchObject({ removed: false, enabled: true });
  });

  it('lists hosts, locations, ports and subscriptions (a port filter is a subscription too), enabled split off', () => {
    const items = configItemsOf(
      parseBindings({
        receiveLocations: [{ name: 'in', receivePort: 'p', adapter: 'file', config: { folder: 'x' } }],
        sendPorts: [{ name: 'out', adapter: 'file', config: { folder: 'y' }, filter: 'A.B == 1', enabled: false }],
      }),
    );
    expect(items.map((i) => `${i.kind}/${i.name}/${i.enabled}`)).toEqual([
      'host/default/true',
      'receive-location/in/true',
      'send-port/out/false',
      'subscription/out/false',
    ]);
    expect(items.every((i) => !('enabled' in i.definition))).toBe(true);
  });
});
