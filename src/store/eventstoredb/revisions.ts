import { NO_STREAM, type CurrentRevision } from '@eventstore/db-client';

/**
 * The stream's actual revision from a conflict. Older servers report a missing stream as -1 in
 * the error's metadata rather than leaving the revision out.
 */
export function fromClientCurrentRevision(current: CurrentRevision): bigint | 'no_stream' {
  return current === NO_STREAM || current < 0n ? 'no_stream' : current;
}
