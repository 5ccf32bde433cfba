/**
 * At most `limit` tasks at once: `run` waits for a free slot before starting one and returns
 * without waiting for it to finish; `drain` waits for all. Tasks handle their own errors.
 */
export class InFlight {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const promise: Promise<void> = task()
      .catch(() => undefined)
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}
