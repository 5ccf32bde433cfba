import { SchemaViolation } from '../../domain/errors.js';

/**
 * The default ttl. Measured on 2 cores (see README, "Leases and failover"): failover after
 * SIGKILL takes about ttl plus one poll, so 2 s keeps p99 under the 3 s goal; and a holder
 * tolerates one renewal that is late by up to ttl × 2/3 − margin (≈ 930 ms), an order of
 * magnitude above the worst renewal latency measured with every core saturated.
 */
export const DEFAULT_TTL_MS = 2000;

export interface LeaseOptions {
  /** What the lease guards; its stream is `lease-{resource}`. */
  readonly resource: string;
  /** Who bids: the host instance id. */
  readonly holder: string;
  /** How long a holder may go unrenewed before contenders take over. Default `DEFAULT_TTL_MS`. */
  readonly ttlMs?: number;
  /** How often the holder renews. Default ttl / 3. */
  readonly renewEveryMs?: number;
  /**
   * How much earlier than a contender could take over the holder stops itself: covers the time
   * between a holder checking its deadline and its write landing. Default ttl / 5.
   */
  readonly safetyMarginMs?: number;
  /** How often a contender looks at the lease stream. Default ttl / 20 (at least 10 ms). */
  readonly pollEveryMs?: number;
  /** Lease events kept in the stream (`maxCount`), so it stays small whatever the uptime. Default 20. */
  readonly keepEvents?: number;
  /** Told about every acknowledged renewal: how close the holder came to its deadline. */
  readonly onRenewal?: (timing: RenewalTiming) => void;
}

export interface RenewalTiming {
  readonly term: number;
  /** How much later than planned the renewal was sent (a late timer: a busy or paused process). */
  readonly lateMs: number;
  /** From sending the renewal to its acknowledgement. */
  readonly ackMs: number;
  /** How long before the holder's deadline the acknowledgement came; at 0 it would have stopped. */
  readonly slackMs: number;
}

export type ResolvedLeaseOptions = Required<Omit<LeaseOptions, 'onRenewal'>> & Pick<LeaseOptions, 'onRenewal'>;

export function resolveLeaseOptions(options: LeaseOptions): ResolvedLeaseOptions {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const resolved: ResolvedLeaseOptions = {
    resource: options.resource,
    holder: options.holder,
    ttlMs,
    renewEveryMs: options.renewEveryMs ?? Math.round(ttlMs / 3),
    safetyMarginMs: options.safetyMarginMs ?? Math.round(ttlMs / 5),
    pollEveryMs: options.pollEveryMs ?? Math.max(10, Math.round(ttlMs / 20)),
    keepEvents: options.keepEvents ?? 20,
    onRenewal: options.onRenewal,
  };
  const issues: { path: string; message: string }[] = [];
  if (!resolved.resource) issues.push({ path: 'resource', message: 'must not be empty' });
  if (!resolved.holder) issues.push({ path: 'holder', message: 'must not be empty' });
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) issues.push({ path: 'ttlMs', message: 'must be a positive integer' });
  for (const key of ['renewEveryMs', 'pollEveryMs', 'keepEvents'] as const) {
    if (!(resolved[key] > 0)) issues.push({ path: key, message: 'must be positive' });
  }
  if (!(resolved.safetyMarginMs >= 0)) issues.push({ path: 'safetyMarginMs', message: 'must not be negative' });
  // A holder must get at least one renewal in before its own deadline, or it would stop itself
  // after every renewal period.
  if (resolved.renewEveryMs >= ttlMs - resolved.safetyMarginMs) {
    issues.push({
      path: 'renewEveryMs',
      message: `must be less than ttlMs - safetyMarginMs (${ttlMs - resolved.safetyMarginMs})`,
    });
  }
  if (issues.length > 0) throw new SchemaViolation(`lease options for ${options.resource}`, issues);
  return resolved;
}
