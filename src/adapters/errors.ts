import { SignalboxError } from '../domain/errors.js';

/**
 * The transport failed in a way that may pass: the connection dropped, the server is busy, a
 * queue is full. The receive loop reconnects with back-off; a send is retried per its port.
 */
export class TransientAdapterError extends SignalboxError {
  readonly retryable = true;

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Retrying the same call cannot help: bad address, refused credentials, message too large. */
export class PermanentAdapterError extends SignalboxError {
  readonly retryable = false;

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A receive location or send port names an adapter that is not registered. */
export class UnknownAdapter extends SignalboxError {
  readonly code = 'UNKNOWN_ADAPTER';
  readonly retryable = false;
}
