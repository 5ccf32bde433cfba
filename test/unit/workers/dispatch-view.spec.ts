import { describe, expect, it } from 'vitest';
import type { ProjectionRunner } from '../../../src/projections/runner.js';
import { DispatchView } from '../../../src/workers/dispatch-view.js';
import { silentLogger } from '../../../src/workers/logger.js';

describe('DispatchView.whileHolding', () => {
  it('stops the dispatcher when the lease was lost during the first catch-up', async () => {
    const lease = new AbortController();
    // The catch-up is where the abort lands: the engine stops while the view is being read.
    const runner = {
      checkpoint: 0n,
      catchUp: () => {
        lease.abort();
        return Promise.resolve(0n);
      },
    } as unknown as ProjectionRunner;
    let workStopped = false;
    const view = new DispatchView(runner, { logger: silentLogger, followEveryMs: 5 });
    const held = view.whileHolding(lease.signal, (signal) => {
      // A dispatcher runs until its signal aborts.
      return new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      }).then(() => {
        workStopped = true;
      });
    });
    const outcome = await Promise.race([
      held.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still running'), 2_000)),
    ]);
    expect(outcome).toBe('stopped');
    expect(workStopped).toBe(true);
  });
});
