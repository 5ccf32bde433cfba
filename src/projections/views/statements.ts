import type Database from 'better-sqlite3';

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A view's statement prepared once per database, not once per event applied. */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map<string, Database.Statement>()));
  let statement = byText.get(sql);
  if (!statement) byText.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/** `(?, ?, ?), (?, ?, ?)`: the VALUES of a multi-row insert of `rows` rows of `columns` columns. */
export function valueRows(rows: number, columns: number): string {
  const row = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}

/** Milliseconds since the epoch of an ISO time, or null when there is none. */
export function epochMs(iso: string | undefined): number | null {
  return iso === undefined ? null : Date.parse(iso);
}

/** Rows per statement of `insertRows`: past about 50, longer statements stop paying. */
const ROWS_PER_INSERT = 50;

/**
 * Inserts many rows with multi-row INSERTs of up to 50 rows: each call into SQLite has a fixed
 * cost, and one statement of 50 rows into a rebuild's side table is about 2.5 times faster than
 * 50 statements of one. `head` is the statement up to `VALUES` (`INSERT INTO t (a, b) VALUES`),
 * `tail` what follows the rows (`ON CONFLICT DO NOTHING`); `values` holds the rows one after the
 * other, `columns` values each (one flat array: no array per row to allocate and collect).
 */
export function insertRows(
  db: Database.Database,
  head: string,
  tail: string,
  columns: number,
  values: readonly unknown[],
): void {
  const chunk = ROWS_PER_INSERT * columns;
  let i = 0;
  if (values.length >= chunk) {
    const full = prepared(db, `${head} ${valueRows(ROWS_PER_INSERT, columns)} ${tail}`);
    for (; i + chunk <= values.length; i += chunk) full.run(values.slice(i, i + chunk));
  }
  if (i === values.length) return;
  const single = prepared(db, `${head} ${valueRows(1, columns)} ${tail}`);
  for (; i < values.length; i += columns) single.run(values.slice(i, i + columns));
}
