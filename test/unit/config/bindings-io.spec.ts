import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { parseBindings } from '../../../src/domain/config/index.js';
import { SchemaViolation } from '../../../src/domain/errors.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { exportBindings, importBindings } from '../../../src/workers/config/bindings-io.js';
import { recordBindings } from '../../../src/workers/record-config.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';

const registry = defaultRegistry();
const options = { actor: 'user:alice', dryRun: false };

const document = {
  hosts: [{ name: 'default' }, { name: 'edge', description: 'DMZ' }],
  receiveLocations: [
    {
      name: 'orders-in',
      receivePort: 'orders',
      adapter: 'file',
      config: { folder: '/srv/in' },
      pipeline: [{ component: 'promote', properties: { 'APP.Region': '/region' } }],
    },
  ],
  sendPorts: [
    { name: 'eu', adapter: 'file', config: { folder: '/srv/eu' }, filter: "APP.Region == 'eu'" },
    {
      name: 'ledger',
      host: 'edge',
      adapter: 'file',
      config: { folder: '/srv/ledger' },
      ordered: { onFailure: 'stop' },
    },
  ],
  subscriptions: [{ name: 'big', sendPort: 'ledger', filter: 'APP.Total >= 1000', enabled: false }],
};

async function eventCount(store: MemoryEventStore): Promise<number> {
  let n = 0;
  for await (const event of store.readAll()) if (event) n++;
  return n;
}

describe('bindings import and export', () => {
  it('imports a file as events with the actor, and exports it back so that importing the export changes nothing', async () => {
    const store = new MemoryEventStore();
    const first = await importBindings(store, registry, document, options);
    expect(first.applied).toBe(true);
    expect(first.diff).toEqual([
      { kind: 'host', name: 'default', change: 'added' },
      { kind: 'host', name: 'edge', change: 'added' },
      { kind: 'send-port', name: 'eu', change: 'added' },
      { kind: 'send-port', name: 'ledger', change: 'added' },
      { kind: 'subscription', name: 'big', change: 'added' },
      { kind: 'subscription', name: 'eu', change: 'added' },
      { kind: 'receive-location', name: 'orders-in', change: 'added' },
    ]);
    const port = await store.readStream('config-send-port-eu');
    expect(port.map((e) => `${e.type}:${e.metadata.actor}`)).toEqual(['ConfigDefined:user:alice']);
    expect((await store.readStream('config-subscription-big')).map((e) => e.type)).toEqual([
      'ConfigDefined',
      'ConfigDisabled',
    ]);

    const exported = await exportBindings(store);
    // The port's filter is not repeated as a subscription; the disabled one keeps its state.
    expect(exported.subscriptions).toEqual([
      { name: 'big', sendPort: 'ledger', filter: 'APP.Total >= 1000', enabled: false },
    ]);
    expect(exported).toEqual(parseBindings(document));
    const before = await eventCount(store);
    for (const text of [stringify(exported), JSON.stringify(exported)]) {
      const again = await importBindings(store, registry, parse(text), options);
      expect(again).toEqual({ diff: [], applied: true });
    }
    expect(await eventCount(store)).toBe(before);
    expect(await exportBindings(store)).toEqual(exported);
  });

  it('a dry run shows added, changed (with the fields) and removed items and appends nothing; the real import then writes only those', async () => {
    const store = new MemoryEventStore();
    await importBindings(store, registry, document, options);
    const next = structuredClone(document) as typeof document & { sendPorts: Record<string, unknown>[] };
    next.sendPorts[0]!.config = { folder: '/srv/eu2' };
    next.sendPorts[0]!.enabled = false;
    next.sendPorts.push({ name: 'us', adapter: 'file', config: { folder: '/srv/us' }, filter: "APP.Region == 'us'" });
    next.receiveLocations = [];
    const before = await eventCount(store);
    const dry = await importBindings(store, registry, next, { ...options, dryRun: true });
    expect(dry.applied).toBe(false);
    expect(await eventCount(store)).toBe(before);
    expect(dry.diff).toEqual([
      { kind: 'send-port', name: 'eu', change: 'changed', fields: ['config', 'enabled'] },
      { kind: 'send-port', name: 'us', change: 'added' },
      { kind: 'subscription', name: 'eu', change: 'changed', fields: ['enabled'] },
      { kind: 'subscription', name: 'us', change: 'added' },
      { kind: 'receive-location', name: 'orders-in', change: 'removed' },
    ]);
    const real = await importBindings(store, registry, next, { ...options, actor: 'user:bob' });
    expect(real.diff).toEqual(dry.diff);
    expect((await store.readStream('config-receive-location-orders-in')).at(-1)).toMatchObject({
      type: 'ConfigRemoved',
      metadata: { actor: 'user:bob' },
    });
    expect(await exportBindings(store)).toEqual(parseBindings(next));
  });

  it('refuses an invalid file whole, naming every bad field (schema, adapter settings, filters, pipelines), and appends nothing', async () => {
    const store = new MemoryEventStore();
    await importBindings(store, registry, document, options);
    const before = await eventCount(store);
    const bad = {
      receiveLocations: [
        { name: 'in', receivePort: 'p', adapter: 'file', config: {} },
        { name: 'in2', receivePort: 'p', adapter: 'nosuch', config: {} },
      ],
      sendPorts: [
        { name: 'out', adapter: 'file', config: { folder: '/x' }, retry: { count: -1 }, filter: 'A ==' },
        { name: 'out2', adapter: 'file', config: { folder: 7 } },
      ],
      subscriptions: [{ name: 's', sendPort: 'missing', filter: 'B == 1' }],
    };
    const error = await importBindings(store, registry, bad, { ...options, source: 'bad.yaml' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemaViolation);
    const paths = (error as SchemaViolation).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'sendPorts.0.retry.count',
        'subscriptions.0.sendPort',
        'receiveLocations.0.config.folder',
        'receiveLocations.1.adapter',
        'sendPorts.0.filter',
        'sendPorts.1.config.folder',
      ]),
    );
    expect((error as SchemaViolation).message).toMatch(/^bad\.yaml is invalid/);
    expect(await eventCount(store)).toBe(before);

    const pipeline = structuredClone(document) as Record<string, unknown>;
    (pipeline.receiveLocations as Record<string, unknown>[])[0]!.pipeline = [
      { component: 'split', path: '' },
      { component: 'split', path: '' },
    ];
    await expect(importBindings(store, registry, pipeline, options)).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'receiveLocations.0.pipeline' })],
    });
    const clash = { ...document, subscriptions: [{ name: 'eu', sendPort: 'ledger', filter: 'A == 1' }] };
    await expect(importBindings(store, registry, clash, options)).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'subscriptions.0.name' })],
    });
    expect(await eventCount(store)).toBe(before);
  });

  it('leaves other kinds alone (secrets, tokens), and sees what engines recorded at start', async () => {
    const store = new MemoryEventStore();
    await recordBindings(store, parseBindings(document), 'user:carol');
    await store.append(
      'config-token-t1',
      [makeEvent('ConfigDefined', { kind: 'token', name: 't1', definition: { role: 'admin' } }, { actor: 'user:x' })],
      'no_stream',
    );
    expect((await importBindings(store, registry, document, options)).diff).toEqual([]);
    expect(
      (await importBindings(store, registry, { sendPorts: [] }, options)).diff.map(
        (d) => `${d.change} ${d.kind}/${d.name}`,
      ),
    ).toEqual([
      'removed receive-location/orders-in',
      'removed subscription/big',
      'removed subscription/eu',
      'removed send-port/eu',
      'removed send-port/ledger',
      'removed host/edge',
    ]);
    expect(await store.readStream('config-token-t1')).toHaveLength(1);
    expect(await exportBindings(store)).toEqual(parseBindings({ sendPorts: [] }));
  });

  it('reports progress while applying, and a concurrent change to an item stops the import with CONFIG_CONFLICT, naming it', async () => {
    const store = new MemoryEventStore();
    const many = {
      sendPorts: Array.from({ length: 60 }, (_, i) => ({
        name: `p${i}`,
        adapter: 'file',
        config: { folder: `/o/${i}` },
      })),
    };
    const seen: [number, number][] = [];
    await importBindings(store, registry, many, { ...options, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen[0]).toEqual([0, 61]);
    expect(seen.at(-1)).toEqual([61, 61]);
    expect(seen).toHaveLength(62);

    // Someone redefines p5 between the import's read and its append.
    const changed = { sendPorts: many.sendPorts.map((p) => ({ ...p, config: { folder: `${p.config.folder}-2` } })) };
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'append') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<MemoryEventStore['append']>) => {
          if (args[0] === 'config-send-port-p5') {
            await recordBindings(
              target,
              parseBindings({ sendPorts: [{ name: 'p5', adapter: 'file', config: { folder: '/other' } }] }),
              'user:eve',
            );
          }
          return target.append(...args);
        };
      },
    });
    const conflict = (await importBindings(racing, registry, changed, options).catch((e: unknown) => e)) as Error;
    expect(conflict).toMatchObject({ code: 'CONFIG_CONFLICT' });
    const match = /^send-port\/p5 was changed by someone else during the import; (\d+) of 60 changes were applied/.exec(
      conflict.message,
    );
    expect(match, conflict.message).not.toBeNull();
    // Running it again applies the rest, the conflicting item included, and nothing twice.
    const again = await importBindings(store, registry, changed, options);
    expect(again.diff).toHaveLength(60 - Number(match![1]));
    expect(again.diff.map((d) => d.name)).toContain('p5');
    expect((await exportBindings(store)).sendPorts.map((p) => p.config)).toEqual(
      changed.sendPorts.map((p) => p.config).sort((a, b) => (a.folder < b.folder ? -1 : 1)),
    );
  });
});
