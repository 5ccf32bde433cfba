import { describe, expect, it } from 'vitest';
import { checkDependencies, DependencyMonitor, type Dependency } from '../../../src/workers/lease/index.js';
import { ManualClock } from '../../support/manual-clock.js';

const answering = (name: string, answer: () => unknown): Dependency => ({
  name,
  check: async () => answer(),
});

describe('dependency health checks', () => {
  it('are healthy when every check resolves to anything but false', async () => {
    const clock = new ManualClock();
    expect(await checkDependencies([answering('mq', () => undefined), answering('ftp', () => true)], clock)).toEqual({
      healthy: true,
      failing: [],
    });
  });

  it('name every dependency whose check resolved false or threw', async () => {
    const clock = new ManualClock();
    const report = await checkDependencies(
      [
        answering('mq', () => false),
        answering('ftp', () => {
          throw new Error('530 login incorrect');
        }),
        answering('pop3', () => 'ok'),
      ],
      clock,
    );
    expect(report).toEqual({ healthy: false, failing: ['mq', 'ftp'] });
  });

  it('count a check that does not answer within its timeout as failed, and abort it', async () => {
    const clock = new ManualClock();
    let aborted = false;
    const hanging: Dependency = {
      name: 'mq',
      timeoutMs: 250,
      check: (signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    let report: unknown;
    void checkDependencies([hanging], clock).then((r) => (report = r));
    await clock.advance(249);
    expect(report).toBeUndefined();
    await clock.advance(1);
    expect(report).toEqual({ healthy: false, failing: ['mq'] });
    expect(aborted).toBe(true);
  });
});

describe('dependency monitor', () => {
  it('is unhealthy until the first round of checks has answered, then follows the checks', async () => {
    const clock = new ManualClock();
    let up = true;
    const monitor = new DependencyMonitor([answering('mq', () => up)], 100, clock);
    expect(monitor.current).toEqual({ healthy: false, failing: ['mq'] });
    monitor.start();
    await clock.advance(0);
    expect(monitor.current.healthy).toBe(true);
    const unhealthy = monitor.whenUnhealthy(new AbortController().signal);
    up = false;
    await clock.advance(100);
    expect(await unhealthy).toEqual({ healthy: false, failing: ['mq'] });
    up = true;
    await clock.advance(100);
    expect(monitor.current.healthy).toBe(true);
    monitor.stop();
  });

  it('without dependencies is healthy from the start', () => {
    expect(new DependencyMonitor([], 100, new ManualClock()).current).toEqual({ healthy: true, failing: [] });
  });
});
