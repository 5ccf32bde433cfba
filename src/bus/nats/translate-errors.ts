import { NatsError } from 'nats';
import { SignalboxError } from '../../domain/errors.js';
import { WorkQueueClosed, WorkQueueMisconfigured, WorkQueueUnavailable } from '../errors.js';

/** JetStream API error codes this queue reacts to. */
export const JS_STREAM_NOT_FOUND = 10059;
export const JS_CONSUMER_NOT_FOUND = 10014;

export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof NatsError ? error.api_error?.err_code : undefined;
}

/** No stream listens on the subject: the stream was deleted (or never made). */
export function isNoResponders(error: unknown): boolean {
  return error instanceof NatsError && error.code === '503';
}

/** The server answered the request (with an error of its own): JetStream is up. */
export function answeredByServer(error: unknown): boolean {
  return error instanceof NatsError && error.api_error !== undefined && error.api_error.code !== 503;
}

/**
 * Maps what nats.js throws to the queue's typed errors. A JetStream "bad request" means our own
 * configuration was refused and retrying will not help; a closed connection means `close()` ran
 * (the connection otherwise reconnects forever); anything else is the server being unreachable,
 * slow or restarting.
 */
export function toWorkQueueError(error: unknown, what: string): SignalboxError {
  if (error instanceof SignalboxError) return error;
  if (error instanceof NatsError) {
    if (error.code === 'CONNECTION_CLOSED') return new WorkQueueClosed();
    if (error.api_error?.code === 400) {
      return new WorkQueueMisconfigured(`${what}: ${error.api_error.description}`, { cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new WorkQueueUnavailable(`${what}: ${message}`, { cause: error });
}
