import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
import { InvalidQuery } from './errors.js';
import { decodeCursor, encodeCursor, isoTime, pageLimit, toPage, type Page, type PageRequest } from './page.js';

/** An ordered port's backlog at a glance. */
export interface BacklogSummary {
  readonly port: string;
  /** Entries ever enqueued. */
  readonly enqueued: number;
  /** Entries not yet sent or terminated. */
  readonly length: number;
  /** The lowest of those: the message the port sends next (or waits on); null when empty. */
  readonly headSequence: number | null;
  readonly headMessageId: string | null;
  /** pending | sending | retrying | suspended: a suspended head stops a port that stops on failure. */
  readonly headStatus: string | null;
  readonly lastEnqueuedAt: string;
}

export interface BacklogEntry {
  readonly sequence: number;
  readonly messageId: string;
  /** pending | sending | retrying | suspended */
  readonly status: string;
  /** The latest attempt claimed; 0 before the first. */
  readonly attempt: number;
  readonly enqueuedAt: string;
  /** The global position of the event that routed the message to the port. */
  readonly routedAt: number;
}

interface SummaryRow {
  port: string;
  enqueued: number;
  length: number;
  head_sequence: number | null;
  head_message_id: string | null;
  head_status: string | null;
  last_enqueued_at: number;
}

const summarySql = `SELECT b.port, b.enqueued, b.length, b.head_sequence, e.message_id AS head_message_id,
    s.status AS head_status, b.last_enqueued_at
  FROM backlog_ports b
  LEFT JOIN backlog_entries e ON e.port = b.port AND e.sequence = b.head_sequence
  LEFT JOIN backlog_sends s ON s.message_id = e.message_id AND s.port = b.port`;

function toSummary(row: SummaryRow): BacklogSummary {
  return {
    port: row.port,
    enqueued: row.enqueued,
    length: row.length,
    headSequence: row.head_sequence,
    headMessageId: row.head_message_id,
    headStatus: row.head_status,
    lastEnqueuedAt: isoTime(row.last_enqueued_at),
  };
}

/** Every ordered port's backlog, by port name. */
export function backlogSummaries(db: Database.Database): BacklogSummary[] {
  return (prepared(db, `${summarySql} ORDER BY b.port`).all() as SummaryRow[]).map(toSummary);
}

const QUERY = 'backlog';

/** One ordered port's backlog: its summary and its open entries in sequence, a page at a time. */
export function backlogOf(
  db: Database.Database,
  port: string,
  page: PageRequest = {},
): { readonly summary: BacklogSummary | undefined; readonly entries: Page<BacklogEntry> } {
  const limit = pageLimit(page.limit);
  const summary = prepared(db, `${summarySql} WHERE b.port = ?`).get(port) as SummaryRow | undefined;
  let after = -1;
  if (page.cursor !== undefined) {
    const [cursorPort, sequence] = decodeCursor(QUERY, page.cursor, ['string', 'number'] as const);
    if (cursorPort !== port) throw new InvalidQuery(`the cursor belongs to the backlog of port ${cursorPort}`);
    after = sequence;
  }
  const rows = prepared(
    db,
    `SELECT e.sequence, e.message_id, coalesce(s.status, 'pending') AS status, coalesce(s.attempt, 0) AS attempt,
       e.enqueued_at, e.routed_at
     FROM backlog_entries e LEFT JOIN backlog_sends s ON s.message_id = e.message_id AND s.port = e.port
     WHERE e.port = ? AND e.sequence > ? ORDER BY e.sequence LIMIT ?`,
  ).all(port, after, limit + 1) as {
    sequence: number;
    message_id: string;
    status: string;
    attempt: number;
    enqueued_at: number;
    routed_at: number;
  }[];
  const entries = toPage(
    rows,
    limit,
    (row): BacklogEntry => ({
      sequence: row.sequence,
      messageId: row.message_id,
      status: row.status,
      attempt: row.attempt,
      enqueuedAt: isoTime(row.enqueued_at),
      routedAt: row.routed_at,
    }),
    (row) => encodeCursor(QUERY, [port, row.sequence]),
  );
  return { summary: summary ? toSummary(summary) : undefined, entries };
}
