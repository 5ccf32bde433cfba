import { NatsError } from 'nats';
import { SignalboxError } from '../../domain/errors.js';

/** JetStream's "no message found" (a meta or chunk subject with nothing stored). */
const JS_NO_MESSAGE_FOUND = 10037;

/**
 * The NATS object store could not be reached or did not answer in time (no quorum while a
 * cluster elects a leader, a partition, a restart). Retrying later may succeed.
 */
export class BlobStoreUnavailable extends SignalboxError {
  readonly code = 'BLOB_STORE_UNAVAILABLE';
  readonly retryable = true;
}

/** The object store answered but refused the request: configuration, limits, permissions. */
export class BlobStoreRefused extends SignalboxError {
  readonly code = 'BLOB_STORE_REFUSED';
  readonly retryable = false;
}

export function isNoMessageFound(error: unknown): boolean {
  return error instanceof NatsError && (error.api_error?.err_code === JS_NO_MESSAGE_FOUND || error.code === '404');
}

/** Maps what nats.js throws to the blob store's typed errors; the store's own errors pass. */
export function toBlobStoreError(error: unknown, what: string): unknown {
  if (error instanceof SignalboxError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof NatsError && error.api_error !== undefined && error.api_error.code !== 503) {
    return new BlobStoreRefused(`blob store ${what}: ${error.api_error.description}`, { cause: error });
  }
  return new BlobStoreUnavailable(`blob store ${what}: ${message}`, { cause: error });
}
