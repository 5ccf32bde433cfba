import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../store/event-store.js';
import type { BatchWriter, Projection } from '../runner.js';

/**
 * Every routed send that is not finished: pending, retrying, claimed or suspended, with the
 * attempt that is next and when it is due. The dispatcher publishes work from it; republishing
 * open sends whose work went missing is the reconciler.
 */
export const openSendsView: Projection = {
  name: 'open-sends',
  filter: {
    streamPrefixes: ['message-', 'correlation-'],
    eventTypes: [
      'CorrelationInitialized',
      'CorrelationFollowed',
      'MessageReceived',
      'SendClaimed',
      'MessageSent',
      'SendFailed',
      'MessageSuspended',
      'MessageResumed',
      'MessageTerminated',
    ],
  },
  tables: [
    { name: 'open_sends', key: ['message_id', 'port'], localColumns: ['published_attempt', 'published_at'] },
    { name: 'open_correlations', key: ['correlation_set', 'key'] },
  ],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS open_sends (
      message_id TEXT NOT NULL,
      port TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      status TEXT NOT NULL,          -- pending | retrying | claimed | suspended
      due_at INTEGER NOT NULL,       -- ms since epoch
      claimed_at INTEGER,
      published_attempt INTEGER,     -- local bookkeeping of the dispatcher on this node
      published_at INTEGER,
      PRIMARY KEY (message_id, port)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS open_sends_due ON open_sends(status, due_at);
    -- the dispatcher's next work: sends whose current attempt was never published. Without it,
    -- finding new work scanned every open send, so each look cost more the larger the backlog.
    CREATE INDEX IF NOT EXISTS open_sends_unpublished ON open_sends(due_at)
      WHERE status IN ('pending', 'retrying') AND (published_attempt IS NULL OR published_attempt < attempt);
    -- conversations waiting for a reply; the dispatcher suspends the request when one expires
    CREATE TABLE IF NOT EXISTS open_correlations (
      correlation_set TEXT NOT NULL,
      key TEXT NOT NULL,
      message_id TEXT NOT NULL,
      port TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (correlation_set, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS open_correlations_expiry ON open_correlations(expires_at)`);
  },
  apply(db, event) {
    apply(db, event);
  },
  batchWriter(db) {
    return skippingClosedSends(db);
  },
};

/**
 * Applies a batch event by event, leaving out the changes to a send's row that a later event of
 * the same batch deletes anyway: a send started at receipt and sent within one batch costs one
 * statement instead of three (insert, claim, delete). Deleting ends a row whatever came before it,
 * so skipping those changes leaves the view exactly as applying every event would.
 */
function skippingClosedSends(db: Database.Database): BatchWriter {
  let events: RecordedEvent[] = [];
  return {
    apply: (event) => {
      events.push(event);
    },
    flush: () => {
      const batch = events;
      events = [];
      // Walking backwards: the sends (and whole messages) a later event of the batch deletes.
      const deletedSends = new Set<string>();
      const deletedMessages = new Set<string>();
      const skip = new Array<boolean>(batch.length).fill(false);
      for (let i = batch.length - 1; i >= 0; i--) {
        const event = batch[i]!;
        if (event.type === 'MessageTerminated' && event.data.port === undefined) {
          deletedMessages.add(event.data.messageId);
          continue;
        }
        const sends = sendsChanged(event);
        if (sends === undefined) continue;
        const { messageId } = event.data as { messageId: string };
        skip[i] =
          sends.length > 0 &&
          (deletedMessages.has(messageId) || sends.every((port) => deletedSends.has(`${messageId}\n${port}`)));
        if (event.type === 'MessageSent' || event.type === 'MessageTerminated') {
          deletedSends.add(`${messageId}\n${event.data.port}`);
        }
      }
      batch.forEach((event, i) => {
        if (!skip[i]) apply(db, event);
      });
    },
  };
}

/**
 * The ports whose `open_sends` row the event changes (and nothing else), or `undefined` when it
 * changes something else too or may (a termination of every port, a conversation): never skipped.
 */
function sendsChanged(event: RecordedEvent): readonly string[] | undefined {
  switch (event.type) {
    case 'MessageReceived':
      return event.data.routing.sendPorts;
    case 'SendClaimed':
    case 'MessageSent':
    case 'SendFailed':
      return [event.data.port];
    case 'MessageSuspended':
      return event.data.port === undefined ? [] : [event.data.port];
    case 'MessageResumed':
      return [...(event.data.port === undefined ? [] : [event.data.port]), ...(event.data.routing?.sendPorts ?? [])];
    case 'MessageTerminated':
      return event.data.port === undefined ? undefined : [event.data.port];
    default:
      return undefined;
  }
}

function apply(db: Database.Database, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  switch (event.type) {
    case 'MessageReceived':
      for (const port of event.data.routing.sendPorts) insertPending(db, event.data.messageId, port, 1, at);
      return;
    case 'SendClaimed':
      prepared(
        db,
        `UPDATE open_sends SET status = 'claimed', attempt = ?, claimed_at = ? WHERE message_id = ? AND port = ?`,
      ).run(event.data.attempt, at, event.data.messageId, event.data.port);
      return;
    case 'MessageSent':
      prepared(db, 'DELETE FROM open_sends WHERE message_id = ? AND port = ?').run(
        event.data.messageId,
        event.data.port,
      );
      return;
    case 'SendFailed':
      prepared(
        db,
        `UPDATE open_sends SET attempt = ?, status = ?, due_at = ?, claimed_at = NULL WHERE message_id = ? AND port = ?`,
      ).run(
        event.data.attempt + 1,
        event.data.nextRetryAt ? 'retrying' : 'suspended',
        event.data.nextRetryAt ? Date.parse(event.data.nextRetryAt) : at,
        event.data.messageId,
        event.data.port,
      );
      return;
    case 'MessageSuspended':
      if (event.data.port !== undefined) {
        // A send suspended after it was sent (its reply never came) is open again, for a resend.
        prepared(
          db,
          `INSERT INTO open_sends (message_id, port, attempt, status, due_at) VALUES (?, ?, ?, 'suspended', ?)
           ON CONFLICT(message_id, port) DO UPDATE SET status = 'suspended', attempt = coalesce(?, attempt)`,
        ).run(event.data.messageId, event.data.port, event.data.nextAttempt ?? 1, at, event.data.nextAttempt ?? null);
      }
      return;
    case 'CorrelationInitialized':
      if (event.data.port !== undefined && event.data.expiresAt !== undefined) {
        prepared(
          db,
          `INSERT INTO open_correlations (correlation_set, key, message_id, port, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(correlation_set, key) DO UPDATE SET message_id = excluded.message_id, port = excluded.port,
             expires_at = excluded.expires_at`,
        ).run(event.data.set, event.data.key, event.data.messageId, event.data.port, Date.parse(event.data.expiresAt));
      }
      return;
    case 'CorrelationFollowed':
      prepared(db, 'DELETE FROM open_correlations WHERE correlation_set = ? AND key = ?').run(
        event.data.set,
        event.data.key,
      );
      return;
    case 'MessageResumed':
      if (event.data.port !== undefined) {
        prepared(db, `UPDATE open_sends SET status = 'pending', due_at = ? WHERE message_id = ? AND port = ?`).run(
          at,
          event.data.messageId,
          event.data.port,
        );
      }
      for (const port of event.data.routing?.sendPorts ?? []) insertPending(db, event.data.messageId, port, 1, at);
      return;
    case 'MessageTerminated':
      if (event.data.port === undefined) {
        prepared(db, 'DELETE FROM open_sends WHERE message_id = ?').run(event.data.messageId);
      } else {
        prepared(db, 'DELETE FROM open_sends WHERE message_id = ? AND port = ?').run(
          event.data.messageId,
          event.data.port,
        );
      }
      return;
    default:
      return;
  }
}

function insertPending(db: Database.Database, messageId: string, port: string, attempt: number, at: number): void {
  prepared(
    db,
    `INSERT INTO open_sends (message_id, port, attempt, status, due_at) VALUES (?, ?, ?, 'pending', ?)
     ON CONFLICT(message_id, port) DO NOTHING`,
  ).run(messageId, port, attempt, at);
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Each statement of the view prepared once per database, not once per event applied. */
function prepared(db: Database.Database, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map<string, Database.Statement>()));
  let statement = byText.get(sql);
  if (!statement) byText.set(sql, (statement = db.prepare(sql)));
  return statement;
}
