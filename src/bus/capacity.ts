import { Wakeup } from './wakeup.js';

/** A taker's view of a `Capacity`: what a queue consumer uses. */
export interface Slots {
  /** Slots this taker may take right now. */
  readonly free: number;
  /** Takes a slot if one is free for this taker; never waits. */
  tryTake(): boolean;
  /** Gives back a slot taken with `tryTake`. */
  release(): void;
  /**
   * Resolves once a slot may be free (one was released), on abort, or after `timeoutMs`; at once
   * when one is free already. Another taker may have been faster: look at `free` again.
   */
  waitForFree(signal: AbortSignal, timeoutMs?: number): Promise<void>;
}

/**
 * A fixed number of slots for work in progress, shared by a queue consumer and any other work of
 * its process that must count against the same limit: a host instance's send worker and the
 * sends its receivers start themselves at receipt share one. A consumer hands out a delivery only
 * while it holds a slot for it, and the slot is free again when the delivery is settled.
 *
 * Single-threaded bookkeeping, no locks: `tryTake` either takes a slot at once or says no.
 */
export class Capacity implements Slots {
  private used = 0;
  private readonly freed = new Wakeup();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`capacity must be a whole number >= 1: ${limit}`);
  }

  get free(): number {
    return Math.max(0, this.limit - this.used);
  }

  get inUse(): number {
    return this.used;
  }

  tryTake(): boolean {
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  release(): void {
    if (this.used > 0) this.used--;
    this.freed.notify();
  }

  waitForFree(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return this.freed.wait(signal, timeoutMs);
  }

  /**
   * A view for a taker that must leave `keep` slots to the others (`keep` is read on every look,
   * so it may change): with `keep` of 2 it takes a slot only while 3 or more are free.
   */
  leaving(keep: () => number): Slots {
    const freeFor = () => Math.max(0, this.free - keep());
    return {
      get free() {
        return freeFor();
      },
      tryTake: () => freeFor() > 0 && this.tryTake(),
      release: () => this.release(),
      waitForFree: (signal, timeoutMs) =>
        freeFor() > 0 || signal.aborted ? Promise.resolve() : this.freed.wait(signal, timeoutMs),
    };
  }
}
