import { SignalboxError } from '../../domain/errors.js';

export interface EventStoreDbStoreOptions {
  /**
   * `esdb://`, `esdb+discover://`, or the same with `kurrentdb`/`kurrent` as the scheme, e.g.
   * `esdb://admin:changeit@node1:2113,node2:2113?tls=true`.
   */
  readonly connectionString: string;
  /**
   * How long any one call (connecting included) may take before it fails with
   * `StoreUnavailable`, in ms. Default 10,000.
   */
  readonly deadlineMs?: number;
}

/** The options, checked once, with defaults applied. */
export interface ResolvedOptions {
  /** What the client library parses: the `kurrentdb` schemes become `esdb`. */
  readonly clientConnectionString: string;
  /** Scheme and hosts only, safe for messages and logs: no credentials, no query. */
  readonly endpoint: string;
  readonly deadlineMs: number;
}

/** The store's options cannot work: retrying the same options will not help. */
export class InvalidStoreOptions extends SignalboxError {
  readonly code = 'INVALID_STORE_OPTIONS';
  readonly retryable = false;
}

export const defaultDeadlineMs = 10_000;

const schemePattern = /^(esdb|kurrentdb|kurrent)(\+discover)?:\/\//i;

/**
 * Drops `user:password@` and the query string. The query holds no secrets today, but certificate
 * file locations have no place in an error message either.
 */
export function redactConnectionString(connectionString: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)?(?:[^@/?#]*@)?([^/?#]*)/i.exec(connectionString.trim());
  return `${match?.[1] ?? ''}${match?.[2] ?? ''}`;
}

export function resolveOptions(options: EventStoreDbStoreOptions): ResolvedOptions {
  const raw = options.connectionString?.trim() ?? '';
  const endpoint = redactConnectionString(raw);
  const scheme = schemePattern.exec(raw);
  if (!scheme) {
    throw new InvalidStoreOptions(
      `EventStoreDB connection string must start with esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover:// (got "${endpoint}")`,
    );
  }
  // @eventstore/db-client v6 predates the KurrentDB rename and only knows the esdb schemes.
  const clientConnectionString = `esdb${scheme[2] ?? ''}://${raw.slice(scheme[0].length)}`;
  const deadlineMs = options.deadlineMs ?? defaultDeadlineMs;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) {
    throw new InvalidStoreOptions(`deadlineMs must be a positive number of milliseconds (got ${String(deadlineMs)})`);
  }
  return { clientConnectionString, endpoint, deadlineMs };
}
