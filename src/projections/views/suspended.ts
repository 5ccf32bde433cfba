import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/** The `port` of a suspension of the whole message (its pipeline failed, or it was unroutable). */
export const WHOLE_MESSAGE = '';

/**
 * The suspended queue, as BizTalk's Group Hub shows it: one row per suspended message and port
 * (port `''` for a message suspended before routing) with the stage, the error and where the
 * message came from; gone when the send is resumed, terminated or sent. `suspended_origins`
 * remembers each message's receive location, which suspension events do not carry.
 */
export const suspendedView: Projection = {
  name: 'suspended',
  filter: {
    streamPrefixes: ['message-'],
    eventTypes: ['MessageReceived', 'MessageSuspended', 'MessageResumed', 'MessageTerminated', 'MessageSent'],
  },
  tables: [
    { name: 'suspended_items', key: ['message_id', 'port'] },
    { name: 'suspended_origins', key: ['message_id'] },
  ],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS suspended_items (
      message_id TEXT NOT NULL,
      port TEXT NOT NULL,              -- '' for the whole message
      stage TEXT NOT NULL,             -- receive | route | send | correlation | ordered
      error_code TEXT NOT NULL,
      error_message TEXT NOT NULL,
      retryable INTEGER,               -- 0/1, null when the error did not say
      receive_location TEXT,
      next_attempt INTEGER,
      suspended_at INTEGER NOT NULL,   -- ms since epoch
      position INTEGER NOT NULL,       -- of the suspension: pages are cut by it
      PRIMARY KEY (message_id, port)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS suspended_items_position ON suspended_items(position);
    CREATE INDEX IF NOT EXISTS suspended_items_error ON suspended_items(error_code, position);
    CREATE INDEX IF NOT EXISTS suspended_items_port ON suspended_items(port, position);
    CREATE INDEX IF NOT EXISTS suspended_items_location ON suspended_items(receive_location, position);
    CREATE TABLE IF NOT EXISTS suspended_origins (
      message_id TEXT NOT NULL PRIMARY KEY,
      receive_location TEXT NOT NULL
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    apply(db, event);
  },
};

function apply(db: Database.Database, event: RecordedEvent): void {
  switch (event.type) {
    case 'MessageReceived':
      prepared(
        db,
        'INSERT INTO suspended_origins (message_id, receive_location) VALUES (?, ?) ON CONFLICT DO NOTHING',
      ).run(event.data.messageId, event.data.receiveLocation);
      return;
    case 'MessageSuspended': {
      const { messageId, port, stage, reason, nextAttempt } = event.data;
      prepared(
        db,
        `INSERT OR REPLACE INTO suspended_items (message_id, port, stage, error_code, error_message, retryable,
           receive_location, next_attempt, suspended_at, position)
         VALUES (?, ?, ?, ?, ?, ?, (SELECT receive_location FROM suspended_origins WHERE message_id = ?), ?, ?, ?)`,
      ).run(
        messageId,
        port ?? WHOLE_MESSAGE,
        stage,
        reason.code,
        reason.message,
        reason.retryable === undefined ? null : Number(reason.retryable),
        messageId,
        nextAttempt ?? null,
        event.recordedAt.getTime(),
        Number(event.position),
      );
      return;
    }
    case 'MessageResumed':
    case 'MessageSent':
      remove(db, event.data.messageId, event.data.port ?? WHOLE_MESSAGE);
      return;
    case 'MessageTerminated':
      // Terminating the whole message ends every suspension of it.
      if (event.data.port === undefined) {
        prepared(db, 'DELETE FROM suspended_items WHERE message_id = ?').run(event.data.messageId);
      } else remove(db, event.data.messageId, event.data.port);
      return;
    default:
      return;
  }
}

function remove(db: Database.Database, messageId: string, port: string): void {
  prepared(db, 'DELETE FROM suspended_items WHERE message_id = ? AND port = ?').run(messageId, port);
}
