import type Database from 'better-sqlite3';
import type { ConfigKind } from '../../domain/events/index.js';
import { prepared } from '../views/statements.js';
import { isoTime } from './page.js';

/** A configuration item that is live (defined and not removed). */
export interface ConfigItemView {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly definition: Record<string, unknown>;
  readonly enabled: boolean;
  /** Its first definition since it was last removed. */
  readonly createdAt: string;
  readonly definedAt: string;
  readonly definedBy: string;
  /** The latest change of any kind (define, enable, disable) and its actor. */
  readonly changedAt: string;
  readonly changedBy: string;
}

export interface ConfigFilter {
  readonly kind?: ConfigKind;
  readonly enabled?: boolean;
}

interface ConfigRow {
  kind: ConfigKind;
  name: string;
  definition: string;
  enabled: number;
  created_at: number;
  defined_at: number;
  defined_by: string;
  changed_at: number;
  changed_by: string;
}

function toItem(row: ConfigRow): ConfigItemView {
  return {
    kind: row.kind,
    name: row.name,
    definition: JSON.parse(row.definition) as Record<string, unknown>,
    enabled: row.enabled === 1,
    createdAt: isoTime(row.created_at),
    definedAt: isoTime(row.defined_at),
    definedBy: row.defined_by,
    changedAt: isoTime(row.changed_at),
    changedBy: row.changed_by,
  };
}

const columns = 'kind, name, definition, enabled, created_at, defined_at, defined_by, changed_at, changed_by';

/** The live configuration items, by kind and name. */
export function configItems(db: Database.Database, filter: ConfigFilter = {}): ConfigItemView[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.kind !== undefined) {
    where.push('kind = ?');
    params.push(filter.kind);
  }
  if (filter.enabled !== undefined) {
    where.push('enabled = ?');
    params.push(filter.enabled ? 1 : 0);
  }
  const sql = `SELECT ${columns} FROM config_items ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY kind, name`;
  return (prepared(db, sql).all(...params) as ConfigRow[]).map(toItem);
}

export function configItem(db: Database.Database, kind: ConfigKind, name: string): ConfigItemView | undefined {
  const row = prepared(db, `SELECT ${columns} FROM config_items WHERE kind = ? AND name = ?`).get(kind, name) as
    ConfigRow | undefined;
  return row ? toItem(row) : undefined;
}
