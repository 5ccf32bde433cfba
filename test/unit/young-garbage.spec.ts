import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { youngGarbage, YOUNG_GARBAGE_BUDGET } from '../../src/runtime/young-garbage.js';

/** Runs `work`, then returns the kinds of the collections V8 reported meanwhile. */
async function collectionsDuring(work: () => void): Promise<number[]> {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (entry.detail?.kind !== undefined) kinds.push(entry.detail.kind);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  work();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return kinds;
}

describe('youngGarbage', () => {
  it('collects the young generation each time the dropped bytes add up to the budget', async () => {
    // V8 may add collections of its own, never take one away: three budgets give at least three.
    const kinds = await collectionsDuring(() => {
      for (let spent = 0; spent < 3 * YOUNG_GARBAGE_BUDGET; spent += 64 * 1024) youngGarbage(64 * 1024);
    });
    expect(kinds.filter((kind) => kind === constants.NODE_PERFORMANCE_GC_MINOR).length).toBeGreaterThanOrEqual(3);
  });

  it('leaves no global gc function behind', () => {
    youngGarbage(YOUNG_GARBAGE_BUDGET);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
