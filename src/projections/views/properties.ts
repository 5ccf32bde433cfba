import type Database from 'better-sqlite3';
import type { EventOf } from '../../domain/events/index.js';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { SortedPropertyRows } from './property-rows.js';
import { prepared } from './statements.js';

/**
 * The context-property index: every promoted or written property of every message as received
 * (`name`, `value`, `message_id`, `promoted` 0/1), keyed so that "every message whose property X
 * has value V" is one range of the primary key, newest last. A value is kept as its JSON text,
 * so its type is kept with it: `1`, `"1"`, `true` and `null` are four different values (see
 * `propertyValueKey`).
 */
export const propertiesView: Projection = {
  name: 'properties',
  filter: { streamPrefixes: ['message-'], eventTypes: ['MessageReceived'] },
  tables: [{ name: 'context_properties', key: ['name', 'value', 'received_at', 'message_id'] }],
  partition: { shared: [] },
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS context_properties (
      name TEXT NOT NULL,
      value TEXT NOT NULL,            -- JSON: "abc", 1, true, null
      received_at INTEGER NOT NULL,   -- the message's receipt, ms since epoch
      message_id TEXT NOT NULL,
      promoted INTEGER NOT NULL,      -- 1 promoted (routable), 0 written
      PRIMARY KEY (name, value, received_at, message_id)
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    if (event.type === 'MessageReceived') indexContext(db, event);
  },
  batchWriter(db, options) {
    const owns = options?.owns ?? (() => true);
    if (options?.exclusive !== true) {
      return {
        apply: (event) => {
          if (event.type === 'MessageReceived' && owns(event.data.messageId)) indexContext(db, event);
        },
        flush: () => undefined,
      };
    }
    // A rebuild's side file. Rows come in receipt order, which is random in the key's: they are
    // held and sorted into the key's order when a pass ends (see `SortedPropertyRows`).
    const rows = new SortedPropertyRows(db, SORTED_HEAD);
    return {
      apply: (event) => {
        if (event.type !== 'MessageReceived' || !owns(event.data.messageId)) return;
        forEachProperty(event, (name, value, at, messageId, promoted) =>
          rows.add(name, value, at, messageId, promoted),
        );
      },
      flush: () => rows.spillIfFull(),
      finish: () => rows.write(),
    };
  },
};

/** The stored form of a property value: its JSON text, so that `1` and `"1"` differ. */
export function propertyValueKey(value: string | number | boolean | null): string {
  return JSON.stringify(value);
}

const INSERT = `INSERT INTO context_properties (name, value, received_at, message_id, promoted)
  VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
const SORTED_HEAD = 'INSERT OR IGNORE INTO context_properties (name, value, received_at, message_id, promoted) VALUES';

/** Calls `row` with each index row of one receipt. */
function forEachProperty(
  event: RecordedEvent & EventOf<'MessageReceived'>,
  row: (name: string, value: string, receivedAt: number, messageId: string, promoted: 0 | 1) => void,
): void {
  const { messageId, context } = event.data;
  const at = event.recordedAt.getTime();
  for (const name in context.promoted) row(name, JSON.stringify(context.promoted[name]), at, messageId, 1);
  for (const name in context.written) {
    // A name lives in one of the two sets; should both hold it, the promoted one is indexed.
    if (!Object.hasOwn(context.promoted, name)) row(name, JSON.stringify(context.written[name]), at, messageId, 0);
  }
}

/** One single-row INSERT per property: with the key to check, faster than one multi-row INSERT per message. */
function indexContext(db: Database.Database, event: RecordedEvent & EventOf<'MessageReceived'>): void {
  const insert = prepared(db, INSERT);
  forEachProperty(event, (...row) => insert.run(row));
}
