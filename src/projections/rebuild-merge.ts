import type Database from 'better-sqlite3';
import { quoteIdentifier as quote } from './checksum.js';
import type { ViewTable } from './runner.js';

/**
 * A SELECT of a rebuilt table's rows from the attached file `alias`. Copied into an equal, empty
 * table, SQLite moves the rows as they are stored, without decoding them.
 */
export function rebuiltRows(table: ViewTable, alias: string): string {
  return `SELECT * FROM ${alias}.${quote(table.name)}`;
}

/** A table to merge from slices: its spec, its CREATE TABLE statement and its CREATE INDEX ones. */
export interface MergeTable extends ViewTable {
  readonly sql: string;
  readonly indexes: readonly string[];
}

/**
 * Adds the rows of the other slices (attached as `aliases`, in slice order) to the first slice's
 * tables in `db`, then builds their indexes. Slices hold ranges of message ids in order, so the
 * rows of a table keyed by message id go in at the end of its B-tree; rows never share a key,
 * except in `additive` tables, which are summed per key.
 */
export function appendSlices(db: Database.Database, tables: readonly MergeTable[], aliases: readonly string[]): void {
  db.transaction(() => {
    for (const table of tables) {
      const name = quote(table.name);
      const upsert = table.additive ? additiveUpsert(db, table) : '';
      for (const alias of aliases) db.exec(`INSERT INTO main.${name} SELECT * FROM ${alias}.${name}${upsert}`);
      for (const index of table.indexes) db.exec(index);
    }
  })();
}

/** `ON CONFLICT` clause summing every column outside the key. */
function additiveUpsert(db: Database.Database, table: MergeTable): string {
  const key = table.key.map(quote);
  const columns = (db.prepare(`PRAGMA main.table_info(${quote(table.name)})`).all() as { name: string }[])
    .map((c) => quote(c.name))
    .filter((c) => !key.includes(c));
  // `WHERE true` tells SQLite's parser the ON belongs to the upsert, not to a join.
  return ` WHERE true ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
}
