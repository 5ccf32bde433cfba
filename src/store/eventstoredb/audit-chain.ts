import { jsonEvent, type EventData } from '@eventstore/db-client';
import type { NewEvent } from '../../domain/events/index.js';
import { chainHash, contentDigest } from '../event-hash.js';

/**
 * EventStoreDB assigns no column for the audit hash, so it travels in the event's metadata under
 * this key, with the time it covers (the server's own `created` is not known before the append).
 * Reads split it off again: `RecordedEvent.metadata` is what the writer gave.
 */
export const AUDIT_KEY = '$audit';

export interface StoredAudit {
  readonly hash: string;
  /** ms since the epoch; reported as the event's `recordedAt`. */
  readonly recordedAt: number;
}

/** The audit part of stored metadata, when it is there and well formed. */
export function auditOf(metadata: unknown): StoredAudit | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const audit = (metadata as Record<string, unknown>)[AUDIT_KEY] as Partial<StoredAudit> | undefined;
  return typeof audit?.hash === 'string' && typeof audit.recordedAt === 'number'
    ? { hash: audit.hash, recordedAt: audit.recordedAt }
    : undefined;
}

/** Stored metadata without its audit part. */
export function withoutAudit(metadata: Record<string, unknown>): Record<string, unknown> {
  if (!(AUDIT_KEY in metadata)) return metadata;
  const { [AUDIT_KEY]: _audit, ...rest } = metadata;
  return rest;
}

/** Content digests of validated events, computed once however often the append is retried. */
export function digestsOf(stream: string, events: readonly NewEvent[]): string[] {
  return events.map((e) =>
    contentDigest({
      stream,
      id: e.id,
      type: e.type,
      data: JSON.stringify(e.data),
      metadata: JSON.stringify(e.metadata),
    }),
  );
}

/**
 * The events to send, chained from `previous` (the hash of the event at revision `after`; -1 for a
 * new stream). The metadata is the writer's, with the audit part added last, so that without it
 * it serialises exactly as hashed.
 */
export function chainedEvents(
  events: readonly NewEvent[],
  digests: readonly string[],
  previous: string,
  after: bigint,
  recordedAt: number,
): EventData[] {
  let hash = previous;
  return events.map((event, i) => {
    hash = chainHash(hash, digests[i]!, after + 1n + BigInt(i), recordedAt);
    const metadata = { ...event.metadata, [AUDIT_KEY]: { hash, recordedAt } };
    return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata });
  });
}
