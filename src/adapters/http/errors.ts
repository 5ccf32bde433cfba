import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the HTTP adapter raises (a status answer is `HTTP_STATUS_<status>`). */
export const HTTP_ERROR = {
  LISTEN_FAILED: 'HTTP_LISTEN_FAILED',
  PATH_TAKEN: 'HTTP_PATH_TAKEN',
  REPLIES_UNAVAILABLE: 'HTTP_REPLIES_UNAVAILABLE',
  CONNECT_FAILED: 'HTTP_CONNECT_FAILED',
  CONNECTION_LOST: 'HTTP_CONNECTION_LOST',
  TIMEOUT: 'HTTP_TIMEOUT',
  TLS_FAILED: 'HTTP_TLS_FAILED',
  RESPONSE_TOO_LARGE: 'HTTP_RESPONSE_TOO_LARGE',
  HEADER_INVALID: 'HTTP_HEADER_INVALID',
  ADDRESS_INVALID: 'HTTP_ADDRESS_INVALID',
} as const;

/** Statuses that say "later may work": a timeout, too early, throttled, or a server-side failure. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * A non-2xx answer as a typed error carrying its status in the code (`HTTP_STATUS_503`) and the
 * start of the answer's body in the message, so the tracking view shows why. 5xx, 408, 425 and
 * 429 are retried per the port; any other 4xx (and 3xx: redirects are not followed) is not.
 */
export function statusError(
  status: number,
  statusText: string,
  what: string,
  bodyStart: string,
): TransientAdapterError | PermanentAdapterError {
  const code = `HTTP_STATUS_${status}`;
  const detail = bodyStart ? `: ${bodyStart}` : '';
  const message = `${what} answered ${status} ${statusText}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${detail}`;
  return isRetryableStatus(status)
    ? new TransientAdapterError(code, message)
    : new PermanentAdapterError(code, message);
}

/** TLS failures that retrying cannot mend: the certificate is not trusted or names another host. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_OSSL_PEM_NO_START_LINE',
  'ERR_OSSL_BAD_DECRYPT',
]);

/**
 * Maps a failed exchange to the adapter's typed errors: a refused, reset or timed-out connection
 * may pass (retried per the port); an untrusted certificate or a bad key does not.
 */
export function transportError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const options = { cause: error };
  if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'))) {
    return new PermanentAdapterError(HTTP_ERROR.TLS_FAILED, message, options);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new TransientAdapterError(HTTP_ERROR.CONNECT_FAILED, message, options);
  }
  return new TransientAdapterError(HTTP_ERROR.CONNECTION_LOST, message, options);
}
