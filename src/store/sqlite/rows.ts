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

/** The columns `toRecordedRaw` reads, in its order: a row as an array (`statement.raw()`). */
export const RAW_COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

export type RawEventRow = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
  recordedAt: number,
];

/*
 * Both conversions build the event as one object literal (no spreads): they run once per event
 * read, and a rebuild reads millions.
 */

export function toRecorded(row: EventRow): RecordedEvent {
  const decoded = decodeStoredEvent(
    row.type,
    JSON.parse(row.data) as Record<string, unknown>,
    JSON.parse(row.metadata) as EventMetadata,
  );
  const event = {
    type: decoded.type,
    data: decoded.data,
    metadata: decoded.metadata,
    id: row.id,
    streamId: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    recordedAt: new Date(row.recorded_at),
  } as { -readonly [K in keyof RecordedEvent]: RecordedEvent[K] };
  if (row.hash !== null) event.hash = fromHashColumn(row.hash)!;
  return event as RecordedEvent;
}

/** A row read in `RAW_COLUMNS` order, as an event without its hash. */
export function toRecordedRaw(row: RawEventRow): RecordedEvent {
  const decoded = decodeStoredEvent(
    row[4],
    JSON.parse(row[5]) as Record<string, unknown>,
    JSON.parse(row[6]) as EventMetadata,
  );
  return {
    type: decoded.type,
    data: decoded.data,
    metadata: decoded.metadata,
    id: row[3],
    streamId: row[1],
    revision: BigInt(row[2]),
    position: BigInt(row[0]),
    recordedAt: new Date(row[7]),
  } as RecordedEvent;
}
