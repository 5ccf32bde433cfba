import type { AllStreamResolvedEvent, ResolvedEvent } from '@eventstore/db-client';
import { SchemaViolation } from '../../domain/errors.js';
import { decodeStoredEvent, type EventMetadata } from '../../domain/events/index.js';
import type { RecordedEvent } from '../event-store.js';
import { auditOf, withoutAudit } from './audit-chain.js';
import { fromClientPosition } from './positions.js';

type ClientRecordedEvent = NonNullable<ResolvedEvent['event'] | AllStreamResolvedEvent['event']>;

/**
 * EventStoreDB's own records: `$`-typed events (`$metadata`, `$>` links, `$statsCollected`) and
 * anything in a `$` stream (metadata streams `$$…`, `$settings`, projections' output).
 */
export function isSystemEvent(event: { readonly type: string; readonly streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

export { matchesFilter } from '../event-filter.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Decodes one event as read from the server into the port's `RecordedEvent`, upcast to the
 * current schema. Throws `SchemaViolation` for an event Signalbox did not write (binary content,
 * no JSON metadata, unknown type), naming where it lies.
 */
export function toRecordedEvent(event: ClientRecordedEvent, commitPosition?: bigint): RecordedEvent {
  const where = `${event.streamId}@${event.revision}`;
  if (!event.isJson || !isPlainObject(event.data)) {
    throw new SchemaViolation(`stored event ${event.type} at ${where}`, [
      { path: 'data', message: 'not a JSON object' },
    ]);
  }
  if (!isPlainObject(event.metadata) || typeof event.metadata.schemaVersion !== 'number') {
    throw new SchemaViolation(`stored event ${event.type} at ${where}`, [
      { path: 'metadata', message: 'missing, not JSON, or without a schemaVersion' },
    ]);
  }
  const audit = auditOf(event.metadata);
  const decoded = decodeStoredEvent(event.type, event.data, withoutAudit(event.metadata) as EventMetadata);
  return {
    ...decoded,
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: fromClientPosition(event.position, commitPosition),
    // The time the audit hash covers, when there is one; otherwise the server's.
    recordedAt: audit ? new Date(audit.recordedAt) : event.created,
    ...(audit ? { hash: audit.hash } : {}),
  } as RecordedEvent;
}
