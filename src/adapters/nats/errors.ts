import { NatsError } from 'nats';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the NATS adapter raises. */
export const NATS_ERROR = {
  CONNECT_FAILED: 'NATS_CONNECT_FAILED',
  CONNECTION_LOST: 'NATS_CONNECTION_LOST',
  AUTH_FAILED: 'NATS_AUTH_FAILED',
  PERMISSION_DENIED: 'NATS_PERMISSION_DENIED',
  NO_RESPONDERS: 'NATS_NO_RESPONDERS',
  TIMEOUT: 'NATS_TIMEOUT',
  PAYLOAD_TOO_LARGE: 'NATS_PAYLOAD_TOO_LARGE',
  HEADER_INVALID: 'NATS_HEADER_INVALID',
  STREAM_NOT_FOUND: 'NATS_STREAM_NOT_FOUND',
  CONSUMER_NOT_FOUND: 'NATS_CONSUMER_NOT_FOUND',
  CONSUMER_ENDED: 'NATS_CONSUMER_ENDED',
  REJECTED: 'NATS_REJECTED',
  ADDRESS_INVALID: 'NATS_ADDRESS_INVALID',
} as const;

/** JetStream API error codes the adapter reacts to. */
export const JS_STREAM_NOT_FOUND = 10059;
export const JS_CONSUMER_NOT_FOUND = 10014;

export function jsApiErrorCode(error: unknown): number | undefined {
  return error instanceof NatsError ? error.api_error?.err_code : undefined;
}

/**
 * Maps what nats.js throws to the adapter's typed errors. Refused credentials and permissions,
 * an over-large payload and a request JetStream refuses as bad do not pass by retrying; a refused
 * or lost connection, a timeout and "no responders" (no stream yet, or one electing a leader) may.
 */
export function natsError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const options = { cause: error };
  const code = error instanceof NatsError ? error.code : undefined;
  switch (code) {
    case 'AUTHORIZATION_VIOLATION':
    case 'AUTHENTICATION_EXPIRED':
    case 'AUTHENTICATION_TIMEOUT':
    case 'BAD_AUTHENTICATION':
    case 'BAD_CREDS':
    case 'ACCOUNT_EXPIRED':
      return new PermanentAdapterError(NATS_ERROR.AUTH_FAILED, message, options);
    case 'PERMISSIONS_VIOLATION':
      return new PermanentAdapterError(NATS_ERROR.PERMISSION_DENIED, message, options);
    case 'MAX_PAYLOAD_EXCEEDED':
      return new PermanentAdapterError(NATS_ERROR.PAYLOAD_TOO_LARGE, message, options);
    case 'BAD_HEADER':
      return new PermanentAdapterError(NATS_ERROR.HEADER_INVALID, message, options);
    case '503':
      return new TransientAdapterError(NATS_ERROR.NO_RESPONDERS, message, options);
    case 'TIMEOUT':
      return new TransientAdapterError(NATS_ERROR.TIMEOUT, message, options);
    case 'CONNECTION_REFUSED':
    case 'CONNECTION_TIMEOUT':
      return new TransientAdapterError(NATS_ERROR.CONNECT_FAILED, message, options);
  }
  const api = jsApiErrorCode(error);
  if (api === JS_STREAM_NOT_FOUND) return new PermanentAdapterError(NATS_ERROR.STREAM_NOT_FOUND, message, options);
  if (api === JS_CONSUMER_NOT_FOUND) {
    return new PermanentAdapterError(NATS_ERROR.CONSUMER_NOT_FOUND, message, options);
  }
  if (error instanceof NatsError && error.api_error?.code === 400) {
    return new PermanentAdapterError(NATS_ERROR.REJECTED, message, options);
  }
  return new TransientAdapterError(NATS_ERROR.CONNECTION_LOST, message, options);
}
