import type Database from 'better-sqlite3';
import { propertyValueKey } from '../views/properties.js';
import { prepared } from '../views/statements.js';
import type { PortStatus, TrackingStatus } from '../views/tracking-schema.js';
import type { MessageRow as TrackingMessageRow } from '../views/tracking-rows.js';
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

/** Which messages to find; every criterion given must hold. */
export interface MessageFilter {
  readonly status?: TrackingStatus;
  readonly receiveLocation?: string;
  /** Messages routed to this send port… */
  readonly port?: string;
  /** …whose send to it is in this status (needs `port`). */
  readonly portStatus?: PortStatus;
  /** Received at or after. */
  readonly receivedFrom?: Date;
  /** Received before. */
  readonly receivedBefore?: Date;
  /** A promoted or written context property with exactly this value (`1` and `"1"` differ). Needs the properties view. */
  readonly property?: { readonly name: string; readonly value: string | number | boolean | null };
}

export interface ErrorSummary {
  readonly code: string;
  readonly message: string;
}

/** One message as the tracking view sees it. */
export interface MessageSummary {
  readonly messageId: string;
  readonly status: TrackingStatus;
  readonly receiveLocation: string;
  readonly receivePort: string | null;
  readonly adapter: string;
  readonly sourceKey: string | null;
  readonly batchId: string | null;
  readonly receivedAt: string;
  /** When it became sent or terminated; null while it is not. */
  readonly completedAt: string | null;
  /** Send attempts claimed, over all its ports. */
  readonly attempts: number;
  readonly lastError: ErrorSummary | null;
  /** `receive` or `route` while the whole message is suspended. */
  readonly suspendedStage: string | null;
  /** The original, when this message is a replayed copy. */
  readonly replayOf: string | null;
  readonly replayId: string | null;
  /** The request this message replies to. */
  readonly requestMessageId: string | null;
  /** The latest reply to this message. */
  readonly replyMessageId: string | null;
  readonly updatedAt: string;
}

/** The columns of a tracking message row that queries read. */
export type MessageRow = Omit<
  TrackingMessageRow,
  'terminated' | 'n_pending' | 'n_sending' | 'n_retrying' | 'n_sent' | 'n_suspended' | 'n_terminated'
>;

export const messageColumns = `m.message_id, m.status, m.receive_location, m.receive_port, m.adapter, m.source_key,
  m.batch_id, m.received_at, m.completed_at, m.attempts, m.last_error_code, m.last_error_message, m.suspended_stage,
  m.replay_of, m.replay_id, m.request_message_id, m.reply_message_id, m.updated_at`;

export function toMessageSummary(row: MessageRow): MessageSummary {
  return {
    messageId: row.message_id,
    status: row.status,
    receiveLocation: row.receive_location,
    receivePort: row.receive_port,
    adapter: row.adapter,
    sourceKey: row.source_key,
    batchId: row.batch_id,
    receivedAt: isoTime(row.received_at),
    completedAt: isoTimeOrNull(row.completed_at),
    attempts: row.attempts,
    lastError:
      row.last_error_code === null ? null : { code: row.last_error_code, message: row.last_error_message ?? '' },
    suspendedStage: row.suspended_stage,
    replayOf: row.replay_of,
    replayId: row.replay_id,
    requestMessageId: row.request_message_id,
    replyMessageId: row.reply_message_id,
    updatedAt: isoTime(row.updated_at),
  };
}

const QUERY = 'messages';

/**
 * Messages that match `filter`, newest receipt first, a page at a time. The most selective
 * criterion drives the query through its index (a property, else a port, else the others), so a
 * page costs its own rows, not the size of the history.
 */
export function findMessages(
  db: Database.Database,
  filter: MessageFilter = {},
  page: PageRequest = {},
): Page<MessageSummary> {
  const limit = pageLimit(page.limit);
  const where: string[] = [];
  const params: unknown[] = [];
  // The driving table: its (received_at, message_id) orders the page and cuts it at the cursor.
  let from = 'tracking_messages m';
  let d = 'm';
  if (filter.property) {
    from = 'context_properties p JOIN tracking_messages m ON m.message_id = p.message_id';
    d = 'p';
    where.push('p.name = ?', 'p.value = ?');
    params.push(filter.property.name, propertyValueKey(filter.property.value));
  } else if (filter.port !== undefined) {
    from = 'tracking_ports tp JOIN tracking_messages m ON m.message_id = tp.message_id';
    d = 'tp';
  }
  if (filter.port !== undefined) {
    if (d === 'tp') {
      where.push('tp.port = ?');
      params.push(filter.port);
      if (filter.portStatus !== undefined) {
        where.push('tp.status = ?');
        params.push(filter.portStatus);
      }
    } else {
      where.push(
        `EXISTS (SELECT 1 FROM tracking_ports tp WHERE tp.message_id = m.message_id AND tp.port = ?${
          filter.portStatus === undefined ? '' : ' AND tp.status = ?'
        })`,
      );
      params.push(filter.port, ...(filter.portStatus === undefined ? [] : [filter.portStatus]));
    }
  }
  if (filter.status !== undefined) {
    where.push('m.status = ?');
    params.push(filter.status);
  }
  if (filter.receiveLocation !== undefined) {
    where.push('m.receive_location = ?');
    params.push(filter.receiveLocation);
  }
  if (filter.receivedFrom) {
    where.push(`${d}.received_at >= ?`);
    params.push(filter.receivedFrom.getTime());
  }
  if (filter.receivedBefore) {
    where.push(`${d}.received_at < ?`);
    params.push(filter.receivedBefore.getTime());
  }
  if (page.cursor !== undefined) {
    const [receivedAt, messageId] = decodeCursor(QUERY, page.cursor, ['number', 'string'] as const);
    where.push(`(${d}.received_at, ${d}.message_id) < (?, ?)`);
    params.push(receivedAt, messageId);
  }
  const sql = `SELECT ${messageColumns} FROM ${from} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${d}.received_at DESC, ${d}.message_id DESC LIMIT ?`;
  const rows = prepared(db, sql).all(...params, limit + 1) as MessageRow[];
  return toPage(rows, limit, toMessageSummary, (row) => encodeCursor(QUERY, [row.received_at, row.message_id]));
}
