import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
import type { FlowStep, PortStatus } from '../views/tracking-schema.js';
import type { PortRow } from '../views/tracking-rows.js';
import {
  messageColumns,
  toMessageSummary,
  type ErrorSummary,
  type MessageRow,
  type MessageSummary,
} from './messages.js';
import { isoTime, isoTimeOrNull } from './page.js';

/** One send of a message: to one port. */
export interface MessageSend {
  readonly port: string;
  readonly status: PortStatus;
  readonly previousStatus: PortStatus | null;
  /** The latest attempt claimed; 0 before the first. */
  readonly attempts: number;
  /** The transport of the latest attempt that ended: `primary` or `backup`. */
  readonly transport: string | null;
  readonly address: string | null;
  readonly lastError: ErrorSummary | null;
  readonly nextRetryAt: string | null;
  readonly sentAt: string | null;
  readonly updatedAt: string;
}

/** One step of a message's flow. */
export interface FlowEntry {
  /** The global position of the event that made the step. */
  readonly position: number;
  readonly at: string;
  readonly step: FlowStep;
  readonly port: string | null;
  readonly detail: unknown;
}

export interface MessageDetail {
  readonly message: MessageSummary;
  /** Its sends, one per port it was routed to, by port name. */
  readonly ports: readonly MessageSend[];
  /** Every step, oldest first. */
  readonly timeline: readonly FlowEntry[];
}

/** The columns of a send row that the detail reads. */
type SendRow = Omit<PortRow, 'message_id' | 'received_at'>;

interface FlowRow {
  position: number;
  at: number;
  step: FlowStep;
  port: string | null;
  detail: string | null;
}

/** One message's tracking row, its sends (per port) and its flow; undefined when the view has no such message. */
export function getMessage(db: Database.Database, messageId: string): MessageDetail | undefined {
  const row = prepared(db, `SELECT ${messageColumns} FROM tracking_messages m WHERE m.message_id = ?`).get(
    messageId,
  ) as MessageRow | undefined;
  if (!row) return undefined;
  const sends = prepared(
    db,
    `SELECT port, status, prev_status, attempts, transport, address, last_error_code, last_error_message,
       next_retry_at, sent_at, updated_at FROM tracking_ports WHERE message_id = ? ORDER BY port`,
  ).all(messageId) as SendRow[];
  const flow = prepared(
    db,
    'SELECT position, at, step, port, detail FROM tracking_flow WHERE message_id = ? ORDER BY position, seq',
  ).all(messageId) as FlowRow[];
  return {
    message: toMessageSummary(row),
    ports: sends.map((s) => ({
      port: s.port,
      status: s.status,
      previousStatus: s.prev_status,
      attempts: s.attempts,
      transport: s.transport,
      address: s.address,
      lastError: s.last_error_code === null ? null : { code: s.last_error_code, message: s.last_error_message ?? '' },
      nextRetryAt: isoTimeOrNull(s.next_retry_at),
      sentAt: isoTimeOrNull(s.sent_at),
      updatedAt: isoTime(s.updated_at),
    })),
    timeline: flow.map((f) => ({
      position: f.position,
      at: isoTime(f.at),
      step: f.step,
      port: f.port,
      detail: f.detail === null ? null : (JSON.parse(f.detail) as unknown),
    })),
  };
}
