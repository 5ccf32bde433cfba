import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../../src/store/event-store.js';
import { startHostInstance } from '../../../src/workers/host-instance.js';
import type { Logger } from '../../../src/workers/logger.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';

function collectingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
    warn: (_o, m) => warnings.push(m ?? ''),
  };
}

/** Waits until `condition` holds; a busy machine may delay timers, so no fixed sleep decides. */
async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('host instance heartbeat', () => {
  it('beats every interval into a stream that keeps only the newest beat, and stops before the stop event', async () => {
    const store = new MemoryEventStore();
    const instance = await startHostInstance(store, 'default', 'test', { heartbeatMs: 40 });
    const stream = `hostbeat-${instance.identity.instance}`;
    expect(await store.getStreamMetadata(stream)).toEqual({ maxCount: 1 });
    // One beat at the start, before any interval passed.
    expect(await store.streamRevision(stream)).toBe(0n);
    await until(async () => ((await store.streamRevision(stream)) ?? -1n) >= 3n);
    const beats = await store.readStream(stream);
    expect(beats).toHaveLength(1);
    expect(beats[0]).toMatchObject({
      type: 'HostInstanceAlive',
      data: { host: 'default', instance: instance.identity.instance },
    });
    expect(beats[0]!.revision).toBeGreaterThanOrEqual(3n);

    await instance.stop('SIGTERM');
    const last = (await store.readStream(stream))[0]!;
    const stoppedEvent = (await store.readStream('host-default')).at(-1)!;
    expect(stoppedEvent.type).toBe('HostInstanceStopped');
    expect(last.position).toBeLessThan(stoppedEvent.position);
    await sleep(150);
    expect(await store.streamRevision(stream)).toBe(last.revision);
    const startedEvent = (await store.readStream('host-default'))[0]!;
    expect(startedEvent.data).toMatchObject({ heartbeatMs: 40 });
  });

  it('a beat the store refuses is logged and the next one is tried', async () => {
    const store = new MemoryEventStore();
    let refuse = 0;
    const flaky: EventStore = Object.create(store, {
      append: {
        value: (...args: Parameters<EventStore['append']>) => {
          if (args[0].startsWith('hostbeat-') && refuse-- > 0) return Promise.reject(new Error('disk full'));
          return store.append(...args);
        },
      },
    }) as EventStore;
    const logger = collectingLogger();
    const instance = await startHostInstance(flaky, 'default', 'test', { heartbeatMs: 30, logger });
    const stream = `hostbeat-${instance.identity.instance}`;
    refuse = 2;
    // Beats go on after the refused ones.
    await until(async () => ((await store.streamRevision(stream)) ?? -1n) >= 2n);
    await instance.stop('done');
    expect(logger.warnings.filter((w) => w.includes('heartbeat not recorded'))).toHaveLength(2);
  });
});
