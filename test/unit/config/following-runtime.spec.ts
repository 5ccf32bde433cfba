import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { parseBindings, type Bindings } from '../../../src/domain/config/index.js';
import { importBindings } from '../../../src/workers/config/bindings-io.js';
import { ConfigFollowingRuntime } from '../../../src/workers/config/following-runtime.js';
import type { Logger } from '../../../src/workers/logger.js';
import { recordBindings } from '../../../src/workers/record-config.js';
import { eventually } from '../../integration/support/engine.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';

const port = (name: string) => ({
  name,
  adapter: 'file',
  config: { folder: `/srv/${name}` },
  filter: "BTS.ReceivePortName == 'x'",
});

class FakeRuntime {
  state: 'new' | 'running' | 'stopped' = 'new';
  constructor(readonly bindings: Bindings) {}
  start(): void {
    this.state = 'running';
  }
  stop(): Promise<void> {
    this.state = 'stopped';
    return Promise.resolve();
  }
}

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (_o: object, message?: string) => void lines.push(message ?? '');
  return { lines, info: log, warn: log, error: log, debug: log };
}

describe('an engine follows the configuration events', () => {
  it('runs its file until the live configuration changes, then swaps to the live one; refuses one it cannot run', async () => {
    const store = new MemoryEventStore();
    const file = parseBindings({ sendPorts: [port('a')] });
    await recordBindings(store, file, 'user:ops');
    const made: FakeRuntime[] = [];
    const logger = collectingLogger();
    const runtime = new ConfigFollowingRuntime(file, {
      store,
      logger,
      settleMs: 50,
      create: (bindings) => {
        if (bindings.sendPorts.some((p) => p.name === 'broken')) throw new Error('cannot run "broken"');
        const r = new FakeRuntime(bindings);
        made.push(r);
        return r;
      },
    });
    await runtime.start();
    expect(made.map((r) => r.state)).toEqual(['running']);
    // Recording the same file again (another instance starting) changes nothing live: no restart.
    await recordBindings(store, file, 'user:ops');

    await importBindings(
      store,
      defaultRegistry(),
      { sendPorts: [port('a'), port('b')] },
      { actor: 'user:ops', dryRun: false },
    );
    await eventually(() => made.length === 2);
    await eventually(() => made[1]!.state === 'running');
    expect(made[0]!.state).toBe('stopped');
    expect(runtime.current).toBe(made[1]);
    expect(made[1]!.bindings.sendPorts.map((p) => p.name)).toEqual(['a', 'b']);

    // A live configuration this engine cannot run: logged, the running one kept.
    await importBindings(
      store,
      defaultRegistry(),
      { sendPorts: [port('broken')] },
      { actor: 'user:ops', dryRun: false },
    );
    await eventually(() => logger.lines.some((l) => l.includes('cannot run here')));
    expect(made).toHaveLength(2);
    expect(made[1]!.state).toBe('running');

    await runtime.stop();
    expect(made[1]!.state).toBe('stopped');
  });
});
