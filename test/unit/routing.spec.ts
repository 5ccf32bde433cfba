import { describe, expect, it } from 'vitest';
import { allSubscriptions, parseBindings } from '../../src/domain/config/index.js';
import { SchemaViolation } from '../../src/domain/errors.js';
import { compileSubscriptions, route } from '../../src/domain/routing/route.js';

describe('routing', () => {
  const subscriptions = compileSubscriptions([
    { name: 'eu', sendPort: 'eu-out', filter: "APP.Region == 'eu'", enabled: true },
    { name: 'big', sendPort: 'eu-out', filter: 'APP.Total > 1000', enabled: true },
    { name: 'audit', sendPort: 'audit', filter: 'BTS.ReceivePortName exists', enabled: true },
    { name: 'off', sendPort: 'never', filter: 'BTS.ReceivePortName exists', enabled: false },
  ]);

  it('routes to every port whose subscription matches, each port once', () => {
    expect(route(subscriptions, { 'APP.Region': 'eu', 'APP.Total': 5000, 'BTS.ReceivePortName': 'orders' })).toEqual({
      sendPorts: ['eu-out', 'audit'],
      subscriptions: ['eu', 'big', 'audit'],
    });
    expect(route(subscriptions, { 'APP.Region': 'us' })).toEqual({ sendPorts: [], subscriptions: [] });
  });

  it('skips disabled subscriptions and ports that are not enabled', () => {
    const decision = route(subscriptions, { 'BTS.ReceivePortName': 'orders', 'APP.Region': 'eu' }, new Set(['audit']));
    expect(decision.sendPorts).toEqual(['audit']);
  });

  it('names the subscription whose filter does not parse', () => {
    expect(() => compileSubscriptions([{ name: 'broken', sendPort: 'p', filter: 'a ==', enabled: true }])).toThrow(
      /subscription "broken"/,
    );
  });
});

describe('bindings', () => {
  it('refuses a bindings file whole, naming every bad field', () => {
    const attempt = () =>
      parseBindings({
        receiveLocations: [{ name: 'in', receivePort: 'orders', adapter: 'file', host: 'nope' }],
        sendPorts: [
          { name: 'out', retry: { count: -1 } },
          { name: 'out', adapter: 'file' },
        ],
        subscriptions: [{ name: 's', sendPort: 'missing', filter: 'a == 1' }],
      });
    expect(attempt).toThrow(SchemaViolation);
    const paths = (() => {
      try {
        attempt();
        return [];
      } catch (error) {
        return (error as SchemaViolation).issues.map((i) => i.path);
      }
    })();
    expect(paths).toEqual(
      expect.arrayContaining([
        'receiveLocations.0.host',
        'sendPorts.0.retry.count',
        'sendPorts.0.adapter',
        'sendPorts.1.name',
        'subscriptions.0.sendPort',
      ]),
    );
  });

  it('turns a send port filter into a subscription named after the port', () => {
    const bindings = parseBindings({ sendPorts: [{ name: 'out', adapter: 'file', filter: "A.B == 'x'" }] });
    expect(allSubscriptions(bindings)).toEqual([{ name: 'out', sendPort: 'out', filter: "A.B == 'x'", enabled: true }]);
    expect(bindings.sendPorts[0]!.retry).toEqual({
      count: 3,
      intervalMs: 5000,
      backoff: 'fixed',
      maxIntervalMs: 300000,
    });
  });
});
