import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type CurrentRevision,
} from '@eventstore/db-client';
import type { ExpectedRevision } from '../event-store.js';

export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'any':
      return ANY;
    case 'exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/**
 * The stream's actual revision from a conflict. Older servers report a missing stream as -1 in
 * the error's metadata rather than leaving the revision out.
 */
export function fromClientCurrentRevision(current: CurrentRevision): bigint | 'no_stream' {
  return current === NO_STREAM || current < 0n ? 'no_stream' : current;
}
