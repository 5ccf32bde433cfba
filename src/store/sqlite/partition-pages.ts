import Database from 'better-sqlite3';
import type { EventFilter, RecordedEvent } from '../event-store.js';
import { filterSql } from './filter-sql.js';
import { RAW_COLUMNS, toRecordedRaw, type RawEventRow } from './rows.js';

/**
 * One of `count` slices of the history, cut by message: the events of a `message-{id}` stream
 * belong to the slice of the id's last character (its code point modulo `count`); events of other
 * streams, and of the `shared` types, belong to every slice, because they change several messages.
 */
export interface MessagePartition {
  readonly index: number;
  readonly count: number;
  readonly shared: readonly string[];
}

const MESSAGE_STREAM = 'message-';

/** The slice a message belongs to; the same rule as the SQL of `readPartitionPages`. */
export function messagePartition(messageId: string, count: number): number {
  return (messageId.codePointAt(lastCodePointIndex(messageId)) ?? 0) % count;
}

function lastCodePointIndex(text: string): number {
  const last = text.length - 1;
  const unit = text.charCodeAt(last);
  // A low surrogate ends a pair: SQLite's substr(x, -1) is the whole code point.
  return unit >= 0xdc00 && unit <= 0xdfff && last > 0 ? last - 1 : last;
}

export interface PartitionPagesOptions {
  readonly after: bigint;
  readonly upTo: bigint;
  readonly partition: MessagePartition;
  readonly filter?: EventFilter;
  readonly pageSize?: number;
}

/** Opens a store's file for reading only, from any thread. */
export function openForReading(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * The events of one slice after `after` up to `upTo`, in global order and in pages, decoded as
 * `readAllPages` decodes them. Events of other slices are skipped by SQLite, never parsed.
 */
export function* readPartitionPages(db: Database.Database, options: PartitionPagesOptions): Generator<RecordedEvent[]> {
  const { index, count, shared } = options.partition;
  const filter = filterSql(options.filter);
  const sharedTypes = shared.length > 0 ? ` OR type IN (${shared.map(() => '?').join(', ')})` : '';
  const read = db
    .prepare<(string | number)[], RawEventRow>(
      `SELECT ${RAW_COLUMNS} FROM events WHERE position > ? AND position <= ?${filter.sql}
       AND (substr(stream, 1, ${MESSAGE_STREAM.length}) <> '${MESSAGE_STREAM}'${sharedTypes}
            OR unicode(substr(stream, -1)) % ? = ?)
       ORDER BY position LIMIT ?`,
    )
    .raw(true);
  const size = options.pageSize ?? 5_000;
  let after = options.after;
  while (after < options.upTo) {
    const rows = read.all(Number(after), Number(options.upTo), ...filter.params, ...shared, count, index, size);
    if (rows.length === 0) return;
    const events = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = toRecordedRaw(rows[i]!);
    after = rows.length === size ? BigInt(rows[rows.length - 1]![0]) : options.upTo;
    yield events;
  }
}
