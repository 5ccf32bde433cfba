import { InvalidQuery } from './errors.js';

export interface PageRequest {
  /** Items per page, 1 to 1,000. Default 100. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page; absent for the first page. */
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass it as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidQuery(`limit must be a whole number from 1 to ${MAX_LIMIT}, not ${limit}`);
  }
  return limit;
}

type CursorPart = 'string' | 'number';
type PartValue<P extends CursorPart> = P extends 'string' ? string : number;

/**
 * A cursor is opaque to callers: the sort key of the last item returned, as base64url JSON,
 * tagged with the query it belongs to so that one query's cursor is refused by another.
 */
export function encodeCursor(query: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([query, ...key])).toString('base64url');
}

export function decodeCursor<const P extends readonly CursorPart[]>(
  query: string,
  cursor: string,
  parts: P,
): { [K in keyof P]: PartValue<P[K]> } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const valid =
    Array.isArray(decoded) &&
    decoded.length === parts.length + 1 &&
    decoded[0] === query &&
    parts.every((type, i) => typeof decoded[i + 1] === type);
  if (!valid) throw new InvalidQuery(`the cursor does not belong to a ${query} query`);
  return (decoded as unknown[]).slice(1) as { [K in keyof P]: PartValue<P[K]> };
}

/**
 * The page of `rows` (fetched with one row more than `limit`, to know whether another page
 * follows), mapped, with the cursor of its last row.
 */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  return { items: shown.map(map), ...(more && last !== undefined ? { nextCursor: cursorOf(last) } : {}) };
}

/** A time stored in a view (ms since the epoch) as ISO 8601. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}

/** The WHERE clause of a query built from optional criteria, with its parameters in order. */
export class Conditions {
  private readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(clause: string, value: unknown): this {
    this.clauses.push(clause);
    this.params.push(value);
    return this;
  }

  /** `WHERE a AND b`, or nothing when no criterion was given. */
  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}
