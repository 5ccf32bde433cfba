import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Projection, ViewTable } from './runner.js';

export interface ViewChecksum {
  /** sha256 over every table's rows in key order, node-local columns left out. */
  readonly checksum: string;
  readonly rows: Readonly<Record<string, number>>;
}

/** A name as an SQL identifier, quoted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The table's columns that follow from events: everything but its node-local bookkeeping. */
export function derivedColumns(db: Database.Database, table: ViewTable): string[] {
  const columns = db.prepare(`PRAGMA table_info(${quoteIdentifier(table.name)})`).all() as { name: string }[];
  if (columns.length === 0) throw new Error(`view table ${table.name} does not exist`);
  const local = new Set(table.localColumns ?? []);
  return columns.map((c) => c.name).filter((name) => !local.has(name));
}

/**
 * Two views built from the same history have the same checksum, however they were built
 * (followed live, batch by batch, or rebuilt in one pass or in slices). Tables are read wherever
 * the connection finds them (the view file or a view's own file); `source` gives, per table, what
 * else to read its rows from (a rebuild's copies).
 */
export function viewChecksum(
  db: Database.Database,
  projection: Projection,
  source?: (table: ViewTable) => string,
): ViewChecksum {
  const hash = createHash('sha256');
  const rows: Record<string, number> = {};
  for (const table of projection.tables) {
    const columns = derivedColumns(db, table).map(quoteIdentifier).join(', ');
    const order = table.key.map(quoteIdentifier).join(', ');
    const from = source?.(table) ?? quoteIdentifier(table.name);
    hash.update(`\u0000table ${table.name}\n`);
    let count = 0;
    const statement = db.prepare(`SELECT ${columns} FROM ${from} ORDER BY ${order}`).raw();
    for (const row of statement.iterate() as Iterable<unknown[]>) {
      hash.update(encodeRow(row));
      count++;
    }
    rows[table.name] = count;
  }
  return { checksum: hash.digest('hex'), rows };
}

/**
 * A row as text that tells every value apart: each value carries its type (`n` null, `i`/`r`
 * number, `s` text, `b` blob), and text is length-prefixed so no separator inside it can move a
 * boundary. Several times faster than JSON for the millions of rows of a large view.
 */
function encodeRow(row: readonly unknown[]): string {
  let out = '';
  for (const value of row) {
    if (value === null) out += 'n;';
    else if (typeof value === 'number') out += `${Number.isInteger(value) ? 'i' : 'r'}${value};`;
    else if (typeof value === 'bigint') out += `i${value};`;
    else if (typeof value === 'string') out += `s${value.length}:${value};`;
    else if (Buffer.isBuffer(value)) out += `b${value.toString('hex')};`;
    else throw new Error(`a view column holds a ${typeof value}, which SQLite cannot return`);
  }
  return `${out}\n`;
}
