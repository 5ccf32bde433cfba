/**
 * Delays for a nack without an explicit delay, indexed by delivery count (1 → first entry); the
 * last entry repeats. Short at first so a passing hiccup costs little, then long enough that an
 * item that keeps failing does not spin. Retries with the send port's own interval are new work
 * (`attempt + 1`, `notBefore`), not nacks.
 */
export const DEFAULT_NACK_BACKOFF_MS: readonly number[] = [250, 1_000, 5_000, 15_000, 30_000];

export function nackDelayMs(deliveryCount: number, schedule: readonly number[] = DEFAULT_NACK_BACKOFF_MS): number {
  if (schedule.length === 0) return 0;
  const index = Math.min(Math.max(deliveryCount, 1), schedule.length) - 1;
  return schedule[index]!;
}

/**
 * Exponential back-off with jitter for reconnect loops: consumers that lost the server at the
 * same moment should not all come back at the same moment.
 */
export function reconnectDelayMs(failures: number, baseMs = 100, maxMs = 5_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 16));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
