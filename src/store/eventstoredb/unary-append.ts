import type { AppendExpectedRevision, AppendResult, EventData, EventStoreDBClient } from '@eventstore/db-client';
import { append } from '@eventstore/db-client/dist/streams/appendToStream/append.js';

/**
 * Appends with the client's one-call-per-append path instead of `appendToStream`.
 *
 * `appendToStream` sends through a shared batch-append stream whose pending appends live in one
 * table for the whole process: when any client's batch stream fails or is disposed, it rejects
 * every pending append of every client, and the answers that then arrive for the others throw
 * inside the gRPC stream's handler and crash the process (seen with @eventstore/db-client 6.2.1).
 * It also waits first on a server-capabilities request that has no deadline at all. The plain
 * append call has neither problem and honours the gRPC deadline.
 */
export function appendOnce(
  client: EventStoreDBClient,
  stream: string,
  events: EventData[],
  expectedRevision: AppendExpectedRevision,
  deadlineMs: number,
): Promise<AppendResult> {
  // batchAppendSize is required by the typings but only the batch path reads it.
  return append.call(client, stream, events, { expectedRevision, deadline: deadlineMs, batchAppendSize: 0 });
}
