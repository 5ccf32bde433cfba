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
