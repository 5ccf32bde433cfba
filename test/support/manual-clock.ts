import type { Clock } from '../../src/workers/lease/clock.js';

/** Lets every promise chain that waits on no real I/O or timer run to its end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A monotonic clock moved by hand. `advance` fires due timers in time order, letting promise
 * chains settle after each; `jump` moves time without firing anything, like an event loop that
 * was stalled and has not got round to its timers yet.
 */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];

  now(): number {
    return this.time;
  }

  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  /** Moves to absolute time `at` (see `advance`). */
  advanceTo(at: number): Promise<void> {
    return this.advance(at - this.time);
  }

  jump(ms: number): void {
    this.time += ms;
  }

  /** One process's view of this clock, which can be frozen like a process under SIGSTOP. */
  process(): ProcessClock {
    return new ProcessClock(this);
  }
}

/**
 * Time goes on for a frozen process, but none of its timers run; when it is thawed, every timer
 * that came due meanwhile runs at once, in order, and sees the time of the thaw.
 */
export class ProcessClock implements Clock {
  private frozen = false;
  private overdue: (() => void)[] = [];

  constructor(private readonly shared: ManualClock) {}

  now(): number {
    return this.shared.now();
  }

  schedule(ms: number, fn: () => void): () => void {
    let cancelled = false;
    const cancel = this.shared.schedule(ms, () => (this.frozen ? this.overdue.push(run) : run()));
    const run = () => {
      if (!cancelled) fn();
    };
    return () => {
      cancelled = true;
      cancel();
    };
  }

  freeze(): void {
    this.frozen = true;
  }

  async thaw(): Promise<void> {
    this.frozen = false;
    const due = this.overdue;
    this.overdue = [];
    for (const fn of due) {
      fn();
      await settle();
    }
  }
}
