import { describe, expect, it } from 'vitest';
import { Capacity } from '../../../src/bus/capacity.js';

describe('send slots (Capacity)', () => {
  it('takes up to its limit without waiting and frees on release', () => {
    const slots = new Capacity(2);
    expect([slots.tryTake(), slots.tryTake(), slots.tryTake()]).toEqual([true, true, false]);
    expect(slots.free).toBe(0);
    slots.release();
    expect(slots.free).toBe(1);
    expect(() => new Capacity(0)).toThrow(RangeError);
  });

  it('wakes a waiter when a slot is released', async () => {
    const slots = new Capacity(1);
    slots.tryTake();
    let woke = false;
    const waiting = slots.waitForFree(new AbortController().signal).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(woke).toBe(false);
    slots.release();
    await waiting;
    expect(woke).toBe(true);
  });

  it('a view that leaves slots to others takes only beyond them, and never the kept ones', () => {
    const slots = new Capacity(8);
    let keep = 2;
    const queue = slots.leaving(() => keep);
    expect(queue.free).toBe(6);
    for (let i = 0; i < 6; i++) expect(queue.tryTake()).toBe(true);
    expect(queue.tryTake()).toBe(false);
    // The kept slots are still there for the other taker.
    expect(slots.tryTake() && slots.tryTake()).toBe(true);
    expect(slots.free).toBe(0);
    slots.release();
    slots.release();
    keep = 0;
    expect(queue.free).toBe(2);
    expect(queue.tryTake()).toBe(true);
    queue.release();
    expect(slots.inUse).toBe(6);
  });
});
