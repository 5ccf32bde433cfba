import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
import {
  decodeCursor,
  encodeCursor,
  isoTime,
  isoTimeOrNull,
  pageLimit,
  toPage,
  type Page,
  type PageRequest,
} from './page.js';

/** A lease's current state, as the view last saw it. */
export interface LeaseState {
  readonly resource: string;
  /** The holder; when released, the last one. */
  readonly holder: string;
  readonly term: number;
  readonly released: boolean;
  /** When the term began (acquired or taken over); null when the stream's retention removed that event first. */
  readonly since: string | null;
  readonly lastRenewal: string | null;
  readonly ttlMs: number | null;
  readonly releasedAt: string | null;
  readonly releaseReason: string | null;
}

/** An acquisition, takeover (failover) or release. */
export interface LeaseChange {
  readonly resource: string;
  readonly position: number;
  readonly term: number;
  readonly at: string;
  readonly event: 'acquired' | 'taken-over' | 'released';
  readonly holder: string;
  readonly previousHolder: string | null;
  readonly reason: string | null;
}

interface LeaseRow {
  resource: string;
  holder: string;
  term: number;
  released: number;
  since: number | null;
  last_renewal: number | null;
  ttl_ms: number | null;
  released_at: number | null;
  release_reason: string | null;
}

function toLease(row: LeaseRow): LeaseState {
  return {
    resource: row.resource,
    holder: row.holder,
    term: row.term,
    released: row.released === 1,
    since: isoTimeOrNull(row.since),
    lastRenewal: isoTimeOrNull(row.last_renewal),
    ttlMs: row.ttl_ms,
    releasedAt: isoTimeOrNull(row.released_at),
    releaseReason: row.release_reason,
  };
}

const leaseColumns = 'resource, holder, term, released, since, last_renewal, ttl_ms, released_at, release_reason';

/** Every lease resource's current holder, by resource. */
export function currentLeases(db: Database.Database): LeaseState[] {
  return (prepared(db, `SELECT ${leaseColumns} FROM leases ORDER BY resource`).all() as LeaseRow[]).map(toLease);
}

export function leaseOf(db: Database.Database, resource: string): LeaseState | undefined {
  const row = prepared(db, `SELECT ${leaseColumns} FROM leases WHERE resource = ?`).get(resource) as
    LeaseRow | undefined;
  return row ? toLease(row) : undefined;
}

const QUERY = 'lease-history';

/** Who held a resource: its acquisitions, takeovers and releases, newest first. */
export function leaseHistory(db: Database.Database, resource: string, page: PageRequest = {}): Page<LeaseChange> {
  const limit = pageLimit(page.limit);
  const before =
    page.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(QUERY, page.cursor, ['number'] as const)[0];
  const rows = prepared(
    db,
    `SELECT resource, position, term, at, event, holder, previous_holder, reason FROM lease_history
     WHERE resource = ? AND position < ? ORDER BY position DESC LIMIT ?`,
  ).all(resource, before, limit + 1) as {
    resource: string;
    position: number;
    term: number;
    at: number;
    event: LeaseChange['event'];
    holder: string;
    previous_holder: string | null;
    reason: string | null;
  }[];
  return toPage(
    rows,
    limit,
    (row): LeaseChange => ({
      resource: row.resource,
      position: row.position,
      term: row.term,
      at: isoTime(row.at),
      event: row.event,
      holder: row.holder,
      previousHolder: row.previous_holder,
      reason: row.reason,
    }),
    (row) => encodeCursor(QUERY, [row.position]),
  );
}
