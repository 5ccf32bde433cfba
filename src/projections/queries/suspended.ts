import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
import { WHOLE_MESSAGE } from '../views/suspended.js';
import {
  Conditions,
  decodeCursor,
  encodeCursor,
  isoTime,
  pageLimit,
  toPage,
  type Page,
  type PageRequest,
} from './page.js';

export interface SuspendedItem {
  readonly messageId: string;
  /** The suspended send's port; null when the whole message is suspended (receive or route stage). */
  readonly port: string | null;
  readonly stage: string;
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean | null };
  readonly receiveLocation: string | null;
  /** The attempt a resume makes, when it is not the one after the failure (a reply timed out). */
  readonly nextAttempt: number | null;
  readonly suspendedAt: string;
  /** The global position of the suspension. */
  readonly position: number;
}

export interface SuspendedFilter {
  readonly errorCode?: string;
  /** A port; `null` for messages suspended as a whole. */
  readonly port?: string | null;
  readonly receiveLocation?: string;
  readonly stage?: string;
}

interface SuspendedRow {
  message_id: string;
  port: string;
  stage: string;
  error_code: string;
  error_message: string;
  retryable: number | null;
  receive_location: string | null;
  next_attempt: number | null;
  suspended_at: number;
  position: number;
}

const QUERY = 'suspended';

/** Suspended messages and sends matching `filter`, latest suspension first. */
export function listSuspended(
  db: Database.Database,
  filter: SuspendedFilter = {},
  page: PageRequest = {},
): Page<SuspendedItem> {
  const limit = pageLimit(page.limit);
  const where = new Conditions();
  const add = where.add.bind(where);
  if (filter.errorCode !== undefined) add('error_code = ?', filter.errorCode);
  if (filter.port !== undefined) add('port = ?', filter.port ?? WHOLE_MESSAGE);
  if (filter.receiveLocation !== undefined) add('receive_location = ?', filter.receiveLocation);
  if (filter.stage !== undefined) add('stage = ?', filter.stage);
  if (page.cursor !== undefined) add('position < ?', decodeCursor(QUERY, page.cursor, ['number'] as const)[0]);
  const rows = prepared(
    db,
    `SELECT * FROM suspended_items ${where.sql}
     ORDER BY position DESC LIMIT ?`,
  ).all(...where.params, limit + 1) as SuspendedRow[];
  return toPage(rows, limit, toItem, (row) => encodeCursor(QUERY, [row.position]));
}

function toItem(row: SuspendedRow): SuspendedItem {
  return {
    messageId: row.message_id,
    port: row.port === WHOLE_MESSAGE ? null : row.port,
    stage: row.stage,
    error: {
      code: row.error_code,
      message: row.error_message,
      retryable: row.retryable === null ? null : row.retryable === 1,
    },
    receiveLocation: row.receive_location,
    nextAttempt: row.next_attempt,
    suspendedAt: isoTime(row.suspended_at),
    position: row.position,
  };
}

/** One group of the suspended queue, as Group Hub shows it. */
export interface SuspendedGroup {
  /** The error code, port (null: whole messages), receive location or stage shared by the group. */
  readonly key: string | null;
  readonly count: number;
  readonly oldestAt: string;
  readonly newestAt: string;
}

const groupColumns = {
  errorCode: 'error_code',
  port: 'port',
  receiveLocation: 'receive_location',
  stage: 'stage',
} as const;

/** Suspended items counted by error code, port, receive location or stage, largest group first. */
export function groupSuspended(db: Database.Database, by: keyof typeof groupColumns): SuspendedGroup[] {
  const column = groupColumns[by];
  const rows = prepared(
    db,
    `SELECT ${column} AS key, count(*) AS count, min(suspended_at) AS oldest, max(suspended_at) AS newest
     FROM suspended_items GROUP BY ${column} ORDER BY count DESC, key`,
  ).all() as { key: string | null; count: number; oldest: number; newest: number }[];
  return rows.map((row) => ({
    key: by === 'port' && row.key === WHOLE_MESSAGE ? null : row.key,
    count: row.count,
    oldestAt: isoTime(row.oldest),
    newestAt: isoTime(row.newest),
  }));
}

export function suspendedByErrorCode(db: Database.Database): SuspendedGroup[] {
  return groupSuspended(db, 'errorCode');
}

export function suspendedByPort(db: Database.Database): SuspendedGroup[] {
  return groupSuspended(db, 'port');
}
