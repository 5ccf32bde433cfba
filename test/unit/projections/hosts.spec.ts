import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hostInstances } from '../../../src/projections/queries/hosts.js';
import { hostsView } from '../../../src/projections/views/hosts.js';
import { History, iso, ms } from './history.js';

beforeEach(() => History.useClock());
afterEach(() => vi.useRealTimers());

const started = (instance: string, heartbeatMs?: number) => ({
  host: 'default',
  instance,
  pid: 100,
  hostname: 'node-1',
  version: '1.0.0',
  ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
});

/**
 * Four instances: `beating` keeps beating every second, `killed` beats once and is never heard of
 * again, `stopped` records its stop, `old` started before heartbeats existed.
 */
async function instances(): Promise<History> {
  const h = new History();
  h.at(0);
  for (const name of ['beating', 'killed', 'stopped']) {
    await h.append('host-default', 'HostInstanceStarted', started(name, 1000), `worker:${name}`);
  }
  await h.append('host-default', 'HostInstanceStarted', started('old'), 'worker:old');
  const beat = (instance: string) =>
    h.append(`hostbeat-${instance}`, 'HostInstanceAlive', { host: 'default', instance }, `worker:${instance}`);
  h.at(1);
  await beat('beating');
  await beat('killed');
  await beat('stopped');
  h.at(2);
  await beat('beating');
  await h.append('host-default', 'HostInstanceStopped', { host: 'default', instance: 'stopped', reason: 'SIGTERM' });
  h.at(3);
  await beat('beating');
  return h;
}

const summary = (states: ReturnType<typeof hostInstances>) =>
  Object.fromEntries(states.map((s) => [s.instance, [s.state, s.lastSeenAt]]));

describe('hosts view', () => {
  it('calls an instance lost once it missed three heartbeats, and only then', async () => {
    const h = await instances();
    const db = await h.view(hostsView);
    // At 4 s: `killed` was last seen at 1 s, exactly three beats ago: not yet lost.
    expect(summary(hostInstances(db, new Date(ms(4))))).toEqual({
      beating: ['started', iso(3)],
      killed: ['started', iso(1)],
      stopped: ['stopped', iso(1)],
      old: ['started', null],
    });
    expect(summary(hostInstances(db, new Date(ms(4) + 1)))).toMatchObject({
      killed: ['lost', iso(1)],
      beating: ['started', iso(3)],
      old: ['started', null],
    });
    // Beating again (it was hung, not dead) makes it started again.
    await h.at(5).append('hostbeat-killed', 'HostInstanceAlive', { host: 'default', instance: 'killed' });
    const again = await h.view(hostsView);
    expect(summary(hostInstances(again, new Date(ms(5))))).toMatchObject({ killed: ['started', iso(5)] });
    const stopped = hostInstances(again, new Date(ms(5))).find((s) => s.instance === 'stopped')!;
    expect(stopped).toMatchObject({ stoppedAt: iso(2), stopReason: 'SIGTERM', heartbeatMs: 1000, pid: 100 });
  });

  it('an instance with no beat yet is judged from its start', async () => {
    const h = new History();
    h.at(0);
    await h.append('host-default', 'HostInstanceStarted', started('new', 1000));
    const db = await h.view(hostsView);
    expect(hostInstances(db, new Date(ms(3)))[0]!.state).toBe('started');
    expect(hostInstances(db, new Date(ms(3) + 1))[0]!.state).toBe('lost');
  });

  it('as of a past time (no `now`) judges none lost: the beats of that time are gone', async () => {
    const h = await instances();
    const db = await h.view(hostsView);
    expect(hostInstances(db).map((s) => s.state)).toEqual(['started', 'started', 'started', 'stopped']);
  });

  it('a view rebuilt after the heartbeat streams kept only their newest beat equals the live one', async () => {
    const h = await instances();
    const live = await h.view(hostsView);
    for (const name of ['beating', 'killed', 'stopped']) {
      await h.store.setStreamMetadata(`hostbeat-${name}`, { maxCount: 1 });
      expect(await h.store.readStream(`hostbeat-${name}`)).toHaveLength(1);
    }
    const rebuilt = await h.view(hostsView);
    const at = new Date(ms(10));
    expect(hostInstances(rebuilt, at)).toEqual(hostInstances(live, at));
    expect(hostInstances(rebuilt, at).map((s) => s.state)).toEqual(['lost', 'lost', 'started', 'stopped']);
  });
});
