import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  convertToCommandError,
} from '@eventstore/db-client';
import { SignalboxError } from '../../domain/errors.js';
import type { ExpectedRevision } from '../event-store.js';
import { StoreUnavailable, WrongExpectedRevision } from '../errors.js';
import type { CallContext } from './deadline.js';
import { fromClientCurrentRevision } from './revisions.js';

/** A read stream that closed before it ended: the client was disposed or the channel closed under it. */
export class ReadCutOff extends Error {
  constructor() {
    super('the read stream closed before it ended');
  }
}

/**
 * gRPC status codes for which a retry may succeed: CANCELLED by the server, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. The client leaves some errors as raw gRPC errors
 * (for example when fetching the server's capabilities fails), so the codes are checked as well as
 * the client's own error classes.
 */
const retryableGrpcCodes = new Set([1, 4, 8, 10, 14]);

function grpcCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'number' ? code : undefined;
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // gRPC messages run on with resolution notes and timings; the first line, without them, says
  // what happened.
  const first = text
    .split('\n')[0]!
    .replace(/\.?\s*Resolution note:.*$/, '')
    .trim();
  return first || (error instanceof Error ? error.name : 'unknown error');
}

/** The client's conflict error as ours, or `undefined` when `error` is something else. */
export function asWrongExpectedRevision(
  error: unknown,
  stream: string,
  expected: ExpectedRevision,
): WrongExpectedRevision | undefined {
  if (!(error instanceof WrongExpectedVersionError)) return undefined;
  return new WrongExpectedRevision(stream, expected, fromClientCurrentRevision(error.actualVersion));
}

/**
 * Turns what the client threw into a Signalbox error: connection trouble becomes
 * `StoreUnavailable` naming the call and the endpoint (never the credentials); our own errors pass
 * through; anything else is returned unchanged, since guessing would hide it.
 */
export function translateError(error: unknown, context: CallContext): Error {
  if (error instanceof SignalboxError) return error;
  if (error instanceof ReadCutOff) {
    return new StoreUnavailable(
      `${context.operation} against EventStoreDB at ${context.endpoint} was cut off: ${error.message}`,
      {
        cause: error,
      },
    );
  }
  const converted = error instanceof Error ? convertToCommandError(error) : error;
  const unavailable =
    converted instanceof UnavailableError ||
    converted instanceof DeadlineExceededError ||
    converted instanceof TimeoutError ||
    converted instanceof CancelledError ||
    converted instanceof NotLeaderError ||
    retryableGrpcCodes.has(grpcCode(converted) ?? -1) ||
    (converted instanceof Error &&
      /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|Failed to discover/.test(converted.message));
  if (unavailable) {
    return new StoreUnavailable(
      `EventStoreDB at ${context.endpoint} is unavailable for ${context.operation}: ${reason(converted)}`,
      { cause: error },
    );
  }
  return converted instanceof Error ? converted : new Error(String(converted));
}
