import type { RemoteConnector, RemoteFileOperations } from './operations.js';

/**
 * A send port's connections: up to `max` open at once, idle ones reused. A broken connection is
 * closed on release instead of being kept.
 */
export class ConnectionPool {
  private readonly idle: RemoteFileOperations[] = [];
  private readonly waiting: (() => void)[] = [];
  private open = 0;
  private closed = false;

  constructor(
    private readonly connector: RemoteConnector,
    private readonly max: number,
  ) {}

  async use<T>(work: (ops: RemoteFileOperations) => Promise<T>): Promise<T> {
    const ops = await this.acquire();
    try {
      return await work(ops);
    } finally {
      this.release(ops);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((ops) => ops.close().catch(() => undefined)));
  }

  private async acquire(): Promise<RemoteFileOperations> {
    for (;;) {
      const reused = this.idle.pop();
      if (reused && !reused.broken) return reused;
      if (reused) {
        this.open--;
        void reused.close().catch(() => undefined);
        continue;
      }
      if (this.open < this.max) {
        this.open++;
        try {
          return await this.connector.connect();
        } catch (error) {
          this.open--;
          this.waiting.shift()?.();
          throw error;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(ops: RemoteFileOperations): void {
    if (ops.broken || this.closed) {
      this.open--;
      void ops.close().catch(() => undefined);
    } else {
      this.idle.push(ops);
    }
    this.waiting.shift()?.();
  }
}
