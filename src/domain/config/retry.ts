import { z } from 'zod';

export const retryPolicySchema = z
  .object({
    count: z.number().int().min(0).max(1000).default(3).describe('attempts after the first one'),
    intervalMs: z.number().int().min(0).default(5_000).describe('wait between attempts'),
    backoff: z.enum(['fixed', 'exponential']).default('fixed'),
    maxIntervalMs: z.number().int().positive().default(300_000).describe('cap for exponential back-off'),
  })
  .describe('how a send port retries a failed send before the backup transport, then suspension');
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** When the next attempt after `attempt` failed attempts is due, relative to now, in ms. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  if (policy.backoff === 'fixed') return policy.intervalMs;
  return Math.min(policy.maxIntervalMs, policy.intervalMs * 2 ** Math.max(0, attempt - 1));
}
