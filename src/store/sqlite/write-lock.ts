import type Database from 'better-sqlite3';

export interface WriteLockOptions {
  /** How long to keep trying for another process's write lock, in ms; then its `SQLITE_BUSY` is thrown. */
  readonly timeoutMs: number;
  /** Shortest pause between attempts, in µs. Default 50. */
  readonly minPauseUs?: number;
  /** Longest pause between attempts, in µs. Default 200. */
  readonly maxPauseUs?: number;
}

export function isBusy(error: unknown): boolean {
  return ((error as { code?: string } | null)?.code ?? '').startsWith('SQLITE_BUSY');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for about `us` µs. Only for a thread with no event loop work to do. */
function pause(us: number): void {
  Atomics.wait(sleeper, 0, 0, us / 1000);
}

/**
 * Write transactions that take SQLite's write lock by polling `BEGIN IMMEDIATE` every 50–200 µs
 * (jittered) instead of through SQLite's busy handler. The busy handler sleeps in growing steps
 * (up to 100 ms) and only wins if the lock happens to be free when it wakes, so a process that
 * commits back to back keeps the lock from one that waits: with two processes on one file, a
 * steady writer's p99 was 0.9–1.8 s (`bench/two-writers.ts`). Polling this often catches the short
 * gap between the other process's commits. It blocks the thread, so it belongs on the writer
 * thread; the connection needs `busy_timeout = 0`, or each attempt would sleep in the busy handler.
 */
export class WriteLock {
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly minPauseUs: number;
  private readonly spreadUs: number;

  constructor(
    private readonly db: Database.Database,
    private readonly options: WriteLockOptions,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.minPauseUs = options.minPauseUs ?? 50;
    this.spreadUs = Math.max(0, (options.maxPauseUs ?? 200) - this.minPauseUs);
  }

  /** Runs `body` in one write transaction; when it throws, nothing it did is kept. */
  transaction<T>(body: () => T): T {
    this.acquire();
    try {
      const result = body();
      this.commit.run();
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      throw error;
    }
  }

  private acquire(): void {
    let deadline: number | undefined;
    for (;;) {
      try {
        this.begin.run();
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        const now = performance.now();
        deadline ??= now + this.options.timeoutMs;
        if (now >= deadline) throw error;
        // Jittered, so two waiting processes do not keep trying in step.
        pause(this.minPauseUs + Math.random() * this.spreadUs);
      }
    }
  }
}
