import Database from 'better-sqlite3';
import type { EventFilter, RecordedEvent } from '../event-store.js';
import { filterSql } from './filter-sql.js';
import { RAW_COLUMNS, toRecordedRaw, type RawEventRow } from './rows.js';

/**
 * One of `count` slices of the history, cut by message: the events of a `message-{id}` stream
 * belong to the slice whose range holds the id (from `from`, inclusive, up to `to`, exclusive,
 * in code point order, as SQLite orders UTF-8 text; absent bounds are open); events of other
 * streams, and of the `shared` types, belong to every slice, because they change several messages.
 * Ranges rather than hashes: the slices' rows, keyed by message id, then follow one another, and
 * merging them is appending each slice's B-tree after the previous one.
 */
export interface MessagePartition {
  readonly index: number;
  readonly count: number;
  readonly shared: readonly string[];
  readonly from?: string;
  readonly to?: string;
}

const MESSAGE_STREAM = 'message-';

/** Compares as SQLite compares UTF-8 text (by code point), where `<` compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: they rank after U+E000–U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Whether the message is in the slice; the same rule as the SQL of `readPartitionPages`. */
export function ownsMessage(partition: MessagePartition, messageId: string): boolean {
  return (
    (partition.from === undefined || compareCodePoints(messageId, partition.from) >= 0) &&
    (partition.to === undefined || compareCodePoints(messageId, partition.to) < 0)
  );
}

/** Events sampled to place the bounds of the slices. */
const SAMPLES = 4_096;

/**
 * `count` ranges of message ids holding about as many events each, from the message ids of
 * events sampled at evenly spaced positions (a message with more events is sampled more often).
 */
export function messageRanges(db: Database.Database, count: number): { from?: string; to?: string }[] {
  const head = Number(db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck().get());
  const streamAt = db.prepare<[number], string>('SELECT stream FROM events WHERE position = ?').pluck();
  const ids: string[] = [];
  const samples = Math.min(SAMPLES, head);
  for (let i = 0; i < samples; i++) {
    const stream = streamAt.get(1 + Math.floor((i * head) / samples));
    if (stream?.startsWith(MESSAGE_STREAM)) ids.push(stream.slice(MESSAGE_STREAM.length));
  }
  ids.sort(compareCodePoints);
  // With nothing sampled, every bound is the empty id: all messages fall in the last slice.
  const bounds = Array.from({ length: count - 1 }, (_, i) => ids[Math.floor(((i + 1) * ids.length) / count)] ?? '');
  return Array.from({ length: count }, (_, i) => ({
    ...(i > 0 ? { from: bounds[i - 1]! } : {}),
    ...(i < count - 1 ? { to: bounds[i]! } : {}),
  }));
}

export interface PartitionPagesOptions {
  readonly after: bigint;
  readonly upTo: bigint;
  readonly partition: MessagePartition;
  readonly filter?: EventFilter;
  readonly pageSize?: number;
}

/**
 * Mapped, up to this many bytes of the store's file (SQLite's build allows up to 2 GiB): a
 * rebuild's slice reads the whole file, and each page read through `read()` cost a system call
 * and a copy, about a fifth of a second of system time per slice at a million events.
 */
const MAP_BYTES = 2 ** 31 - 65_536;

/** Opens a store's file for reading only, from any thread, memory-mapped (see `MAP_BYTES`). */
export function openForReading(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  db.pragma(`mmap_size = ${MAP_BYTES}`);
  return db;
}

/**
 * The events of one slice after `after` up to `upTo`, in global order and in pages, decoded as
 * `readAllPages` decodes them. Events of other slices are skipped by SQLite, never parsed.
 */
export function* readPartitionPages(db: Database.Database, options: PartitionPagesOptions): Generator<RecordedEvent[]> {
  const { shared, from, to } = options.partition;
  const filter = filterSql(options.filter);
  const sharedTypes = shared.length > 0 ? ` OR type IN (${shared.map(() => '?').join(', ')})` : '';
  const bounds = [
    ...(from === undefined ? [] : [{ sql: 'stream >= ?', value: MESSAGE_STREAM + from }]),
    ...(to === undefined ? [] : [{ sql: 'stream < ?', value: MESSAGE_STREAM + to }]),
  ];
  const inRange = bounds.length > 0 ? bounds.map((b) => b.sql).join(' AND ') : '1';
  const read = db
    .prepare<(string | number)[], RawEventRow>(
      `SELECT ${RAW_COLUMNS} FROM events WHERE position > ? AND position <= ?${filter.sql}
       AND (substr(stream, 1, ${MESSAGE_STREAM.length}) <> '${MESSAGE_STREAM}'${sharedTypes} OR (${inRange}))
       ORDER BY position LIMIT ?`,
    )
    .raw(true);
  const size = options.pageSize ?? 5_000;
  let after = options.after;
  while (after < options.upTo) {
    const rows = read.all(
      Number(after),
      Number(options.upTo),
      ...filter.params,
      ...shared,
      ...bounds.map((b) => b.value),
      size,
    );
    if (rows.length === 0) return;
    const events = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = toRecordedRaw(rows[i]!);
    after = rows.length === size ? BigInt(rows[rows.length - 1]![0]) : options.upTo;
    yield events;
  }
}
