import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/**
 * The live configuration: one row per item defined on a `config-{kind}-{name}` stream and not
 * removed since, with its latest definition and who wrote it. As `evolveConfigItem` says: a new
 * item (or one defined again after its removal) is enabled; redefining one keeps its enabled
 * state; enabling or disabling an item that is not live changes nothing. The configuration as of
 * a time is this view rebuilt up to that time.
 */
export const configView: Projection = {
  name: 'config',
  filter: {
    streamPrefixes: ['config-'],
    eventTypes: ['ConfigDefined', 'ConfigEnabled', 'ConfigDisabled', 'ConfigRemoved'],
  },
  tables: [{ name: 'config_items', key: ['kind', 'name'] }],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS config_items (
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      definition TEXT NOT NULL,        -- JSON, as the latest ConfigDefined wrote it
      enabled INTEGER NOT NULL,        -- 0/1
      created_at INTEGER NOT NULL,     -- ms since epoch: the first definition since it was last removed
      defined_at INTEGER NOT NULL,     -- the latest definition
      defined_by TEXT NOT NULL,        -- its actor
      changed_at INTEGER NOT NULL,     -- the latest change of any kind (define, enable, disable)
      changed_by TEXT NOT NULL,
      position INTEGER NOT NULL,       -- of the latest change
      PRIMARY KEY (kind, name)
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    apply(db, event);
  },
};

function apply(db: Database.Database, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  const actor = event.metadata.actor;
  const position = Number(event.position);
  switch (event.type) {
    case 'ConfigDefined': {
      const { kind, name, definition } = event.data;
      prepared(
        db,
        `INSERT INTO config_items (kind, name, definition, enabled, created_at, defined_at, defined_by, changed_at,
           changed_by, position)
         VALUES (@kind, @name, @definition, 1, @at, @at, @actor, @at, @actor, @position)
         ON CONFLICT(kind, name) DO UPDATE SET definition = @definition, defined_at = @at, defined_by = @actor,
           changed_at = @at, changed_by = @actor, position = @position`,
      ).run({ kind, name, definition: JSON.stringify(definition), at, actor, position });
      return;
    }
    case 'ConfigEnabled':
    case 'ConfigDisabled':
      prepared(
        db,
        `UPDATE config_items SET enabled = ?, changed_at = ?, changed_by = ?, position = ? WHERE kind = ? AND name = ?`,
      ).run(event.type === 'ConfigEnabled' ? 1 : 0, at, actor, position, event.data.kind, event.data.name);
      return;
    case 'ConfigRemoved':
      prepared(db, 'DELETE FROM config_items WHERE kind = ? AND name = ?').run(event.data.kind, event.data.name);
      return;
    default:
      return;
  }
}
