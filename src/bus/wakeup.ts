/**
 * A wake-up call for a consumer loop: `wait` resolves on the next `notify`, when `timeoutMs`
 * passes, or when the signal aborts, whichever comes first. Notifies while nobody waits are not
 * remembered, so callers re-check their condition after every wake-up.
 */
export class Wakeup {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  wait(signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => wake(), Math.max(0, timeoutMs));
      const wake = () => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      signal.addEventListener('abort', wake, { once: true });
      this.waiters.add(wake);
    });
  }
}
