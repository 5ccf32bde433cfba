import type { EventFilter } from '../event-store.js';

/** Turns a filter into a SQL condition over the `events` table and its parameters. */
export function filterSql(filter: EventFilter | undefined): { sql: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const prefixes = filter?.streamPrefixes ?? [];
  if (prefixes.length > 0) {
    clauses.push(`(${prefixes.map(() => 'substr(stream, 1, ?) = ?').join(' OR ')})`);
    for (const prefix of prefixes) params.push(prefix.length, prefix);
  }
  const types = filter?.eventTypes ?? [];
  if (types.length > 0) {
    clauses.push(`type IN (${types.map(() => '?').join(', ')})`);
    params.push(...types);
  }
  return { sql: clauses.length > 0 ? ` AND ${clauses.join(' AND ')}` : '', params };
}
