import { decodeStoredEvent, type EventMetadata } from '../../domain/events/index.js';
import type { RecordedEvent } from '../event-store.js';
import { fromHashColumn } from './hash-column.js';

export interface EventRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
  /** Absent (NULL) for events written before the store hashed them. */
  hash: Buffer | null;
}

export function toRecorded(row: EventRow): RecordedEvent {
  const decoded = decodeStoredEvent(
    row.type,
    JSON.parse(row.data) as Record<string, unknown>,
    JSON.parse(row.metadata) as EventMetadata,
  );
  return {
    ...decoded,
    id: row.id,
    streamId: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
    ...(row.hash === null ? {} : { hash: fromHashColumn(row.hash) }),
  } as RecordedEvent;
}
