import { SignalboxError } from '../domain/errors.js';
import type { ExpectedRevision } from './event-store.js';

function show(revision: ExpectedRevision | bigint | 'no_stream'): string {
  return typeof revision === 'bigint' ? revision.toString() : revision;
}

/** An append's expected revision did not match the stream: somebody else wrote first. */
export class WrongExpectedRevision extends SignalboxError {
  readonly code = 'WRONG_EXPECTED_REVISION';
  readonly retryable = false;

  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual revision, or `no_stream`. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`append to ${stream} expected revision ${show(expected)} but the stream is at ${show(actual)}`);
  }
}

/** The store could not be reached or did not answer within its deadline. Retrying may help. */
export class StoreUnavailable extends SignalboxError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryable = true;
}

/** The store's file is damaged or belongs to something else. Retrying will not help. */
export class StoreCorrupt extends SignalboxError {
  readonly code = 'STORE_CORRUPT';
  readonly retryable = false;
}

/** The store was closed; no more calls are accepted. */
export class StoreClosed extends SignalboxError {
  readonly code = 'STORE_CLOSED';
  readonly retryable = false;

  constructor() {
    super('the event store is closed');
  }
}
