import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/adapters/index.js';
import { allSubscriptions, parseBindings } from '../../src/domain/config/index.js';
import { compileSubscriptions } from '../../src/domain/routing/route.js';

describe('the README', () => {
  it('shows a bindings example that the engine accepts, adapter settings and filters included', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /## Configuration: bindings[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const bindings = parseBindings(parse(block!), 'README example');
    const registry = defaultRegistry();
    bindings.receiveLocations.forEach((l, i) =>
      registry.receiveConfig(l.adapter, l.config, `receiveLocations.${i}.config`),
    );
    bindings.sendPorts.forEach((p, i) => {
      if (p.adapter) registry.sendConfig(p.adapter, p.config, `sendPorts.${i}.config`);
      if (p.backup) registry.sendConfig(p.backup.adapter, p.backup.config, `sendPorts.${i}.backup.config`);
    });
    expect(compileSubscriptions(allSubscriptions(bindings)).map((s) => s.name)).toEqual([
      'eu-orders',
      'ledger',
      'anywhere',
      'big-orders-too',
    ]);
  });
});
