/**
 * Wakes live subscriptions when new events may exist: at once after a local commit, and, for
 * commits made by other processes on the same file, when `PRAGMA data_version` changes (SQLite
 * bumps it whenever another connection commits). Polling runs only while someone waits.
 */
export class ChangeSignal {
  private counter = 0;
  private waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastDataVersion: number | undefined;

  constructor(
    private readonly readDataVersion: () => number,
    private readonly pollIntervalMs: number,
  ) {}

  get version(): number {
    return this.counter;
  }

  notify(): void {
    this.counter++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
    if (this.waiters.size === 0) this.stopPolling();
  }

  /** Resolves once `version` differs from `seen`, or the signal aborts. */
  wait(seen: number, signal?: AbortSignal): Promise<void> {
    if (this.counter !== seen || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      signal?.addEventListener('abort', wake, { once: true });
      this.waiters.add(wake);
      this.startPolling();
    });
  }

  private startPolling(): void {
    if (this.timer) return;
    this.lastDataVersion = this.readDataVersion();
    this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.timer.unref();
  }

  private poll(): void {
    let current: number;
    try {
      current = this.readDataVersion();
    } catch {
      // The database was closed under us; waking lets every subscriber see that and end.
      this.notify();
      return;
    }
    if (current !== this.lastDataVersion) {
      this.lastDataVersion = current;
      this.notify();
    }
  }

  stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
