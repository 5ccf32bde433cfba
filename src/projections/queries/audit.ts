import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
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

/** One operator action (or another event a user or API token wrote). */
export interface AuditEntry {
  readonly position: number;
  readonly at: string;
  readonly actor: string;
  /** The event type: `MessageResumed`, `ConfigDefined`, … */
  readonly action: string;
  /** message | config | lease | location | port | correlation | host | stream */
  readonly targetKind: string;
  /** A message id, `kind/name` of a configuration item, a lease resource, … */
  readonly target: string;
  readonly streamId: string;
  readonly detail: unknown;
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly targetKind?: string;
  readonly target?: string;
  /** Recorded at or after. */
  readonly from?: Date;
  /** Recorded before. */
  readonly before?: Date;
}

interface AuditRow {
  position: number;
  at: number;
  actor: string;
  action: string;
  target_kind: string;
  target: string;
  stream_id: string;
  detail: string | null;
}

const QUERY = 'audit';

/** A page of the audit log, newest first. */
export function auditLog(db: Database.Database, filter: AuditFilter = {}, page: PageRequest = {}): Page<AuditEntry> {
  const limit = pageLimit(page.limit);
  const where = new Conditions();
  const add = where.add.bind(where);
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.targetKind !== undefined) add('target_kind = ?', filter.targetKind);
  if (filter.target !== undefined) add('target = ?', filter.target);
  if (filter.from) add('at >= ?', filter.from.getTime());
  if (filter.before) add('at < ?', filter.before.getTime());
  if (page.cursor !== undefined) add('position < ?', decodeCursor(QUERY, page.cursor, ['number'] as const)[0]);
  const rows = prepared(
    db,
    `SELECT position, at, actor, action, target_kind, target, stream_id, detail FROM audit_log
     ${where.sql} ORDER BY position DESC LIMIT ?`,
  ).all(...where.params, limit + 1) as AuditRow[];
  return toPage(
    rows,
    limit,
    (row): AuditEntry => ({
      position: row.position,
      at: isoTime(row.at),
      actor: row.actor,
      action: row.action,
      targetKind: row.target_kind,
      target: row.target,
      streamId: row.stream_id,
      detail: row.detail === null ? null : (JSON.parse(row.detail) as unknown),
    }),
    (row) => encodeCursor(QUERY, [row.position]),
  );
}
