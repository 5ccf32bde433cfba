import type Database from 'better-sqlite3';
import { quoteIdentifier as quote } from './checksum.js';
import type { ViewTable } from './runner.js';

/**
 * A SELECT of a rebuilt table's rows from the attached files (`aliases`) holding it. From one
 * file, a bare `SELECT *`: copied into an equal, empty table, SQLite moves the rows as they are
 * stored, without decoding them. From slices, their rows in key order (each slice is read in key
 * order and the reads merged) or, for an additive table, summed per key.
 */
export function rebuiltRows(db: Database.Database, table: ViewTable, aliases: readonly string[]): string {
  const name = quote(table.name);
  if (aliases.length === 1) return `SELECT * FROM ${aliases[0]}.${name}`;
  const union = aliases.map((alias) => `SELECT * FROM ${alias}.${name}`).join(' UNION ALL ');
  const key = table.key.map(quote);
  if (!table.additive) return `${union} ORDER BY ${key.join(', ')}`;
  const columns = (db.prepare(`PRAGMA ${aliases[0]}.table_info(${name})`).all() as { name: string }[]).map((c) =>
    quote(c.name),
  );
  const summed = columns.map((c) => (key.includes(c) ? c : `sum(${c}) AS ${c}`));
  return `SELECT ${summed.join(', ')} FROM (${union}) GROUP BY ${key.join(', ')} ORDER BY ${key.join(', ')}`;
}

/** A table to merge from slices: its spec, its CREATE TABLE statement and its CREATE INDEX ones. */
export interface MergeTable extends ViewTable {
  readonly sql: string;
  readonly indexes: readonly string[];
}

/**
 * Fills `db`'s copy of each table with the rows of every slice (attached as `aliases`), then
 * builds its indexes: the swap then moves the table and its indexes as stored. The slices' rows
 * come merged in key order, so each goes in at the end of the B-tree.
 */
export function mergeSlices(db: Database.Database, tables: readonly MergeTable[], aliases: readonly string[]): void {
  db.transaction(() => {
    for (const table of tables) {
      db.exec(table.sql);
      db.exec(`INSERT INTO main.${quote(table.name)} ${rebuiltRows(db, table, aliases)}`);
      for (const index of table.indexes) db.exec(index);
    }
  })();
}
