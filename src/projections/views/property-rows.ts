import type Database from 'better-sqlite3';
import { compareCodePoints as byCodePoints } from '../../store/sqlite/partition-pages.js';
import { insertRows } from './statements.js';

/** Values per row: name, value, received_at, message_id, promoted. */
const COLUMNS = 5;

/**
 * Rows held before they are written even though the pass goes on: about 100 bytes each in
 * memory. A million-event history gives about 1.5 million rows, shared among the slices.
 */
const MAX_HELD_ROWS = 2_000_000;

/** A UTF-16 unit where JavaScript's order of strings and SQLite's (UTF-8 bytes) can part. */
const HIGH_UNIT = /[\ud800-\uffff]/;

const byUnits = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * The context-property rows of a rebuild's side file, held in memory and written in the
 * table's key order when the pass ends (`write`): each row then goes in at the end of the
 * B-tree. Sorting here is several times faster than SQLite's sort of a staging table, and the
 * rows are never written twice. Past `MAX_HELD_ROWS` they are written at once, each batch in
 * key order; `INSERT OR IGNORE` then keeps the first received of equal keys, as the followed view does.
 */
export class SortedPropertyRows {
  /** Rows one after the other, `COLUMNS` values each. */
  private values: unknown[] = [];
  /** Some text holds a unit past U+D7FF: compare by code point. */
  private high = false;

  constructor(
    private readonly db: Database.Database,
    /** `INSERT OR IGNORE INTO table (name, value, received_at, message_id, promoted) VALUES`. */
    private readonly insertHead: string,
    private readonly maxHeldRows = MAX_HELD_ROWS,
  ) {}

  add(name: string, value: string, receivedAt: number, messageId: string, promoted: 0 | 1): void {
    if (!this.high && (HIGH_UNIT.test(name) || HIGH_UNIT.test(value) || HIGH_UNIT.test(messageId))) this.high = true;
    this.values.push(name, value, receivedAt, messageId, promoted);
  }

  /** Writes the rows if too many are held; the caller holds a transaction. */
  spillIfFull(): void {
    if (this.values.length >= this.maxHeldRows * COLUMNS) this.write();
  }

  /** Writes every held row in key order (name, value, received_at, message_id); the caller holds a transaction. */
  write(): void {
    const values = this.values;
    const rows = values.length / COLUMNS;
    if (rows === 0) return;
    const text = this.high ? byCodePoints : byUnits;
    // By name first, in buckets: few names, many rows each, and one comparison fewer per pair.
    const buckets = new Map<string, number[]>();
    for (let row = 0, at = 0; row < rows; row++, at += COLUMNS) {
      const name = values[at] as string;
      let bucket = buckets.get(name);
      if (!bucket) buckets.set(name, (bucket = []));
      bucket.push(at);
    }
    const sorted: unknown[] = new Array<unknown>(values.length);
    let out = 0;
    for (const name of [...buckets.keys()].sort(text)) {
      const bucket = buckets.get(name)!;
      // Equal keys keep the order received (the rows' places break the tie): the first one is kept.
      bucket.sort(
        (a, b) =>
          text(values[a + 1] as string, values[b + 1] as string) ||
          (values[a + 2] as number) - (values[b + 2] as number) ||
          text(values[a + 3] as string, values[b + 3] as string) ||
          a - b,
      );
      for (const at of bucket) for (let c = 0; c < COLUMNS; c++) sorted[out++] = values[at + c];
    }
    this.values = [];
    this.high = false;
    insertRows(this.db, this.insertHead, '', COLUMNS, sorted);
  }
}
