import type Database from 'better-sqlite3';
import type { EventOf } from '../../domain/events/index.js';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/**
 * Ordered port backlogs: per port (`port-{name}` streams) the entries enqueued and not yet sent
 * or terminated, in sequence, with the port's head (lowest open sequence) and length.
 *
 * A port that becomes ordered enqueues every earlier message routed to it, sent or not, so an
 * entry may arrive after its message's send finished. `backlog_sends` (the sends, to any port,
 * routed and not yet finished, with their status) tells which entries are open: an entry whose
 * send is not there is already done and never listed.
 */
export const backlogsView: Projection = {
  name: 'backlogs',
  filter: {
    streamPrefixes: ['message-', 'port-'],
    eventTypes: [
      'MessageEnqueued',
      'MessageReceived',
      'MessageResumed',
      'SendClaimed',
      'SendFailed',
      'MessageSuspended',
      'MessageSent',
      'MessageTerminated',
    ],
  },
  tables: [
    { name: 'backlog_sends', key: ['message_id', 'port'] },
    { name: 'backlog_entries', key: ['port', 'sequence'] },
    { name: 'backlog_ports', key: ['port'] },
  ],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS backlog_sends (
      message_id TEXT NOT NULL,
      port TEXT NOT NULL,
      status TEXT NOT NULL,            -- pending | sending | retrying | suspended
      attempt INTEGER NOT NULL,        -- the latest attempt claimed, 0 before the first
      PRIMARY KEY (message_id, port)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS backlog_entries (
      port TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      message_id TEXT NOT NULL,
      enqueued_at INTEGER NOT NULL,    -- ms since epoch
      routed_at INTEGER NOT NULL,      -- global position of the event that routed the message
      PRIMARY KEY (port, sequence)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS backlog_entries_message ON backlog_entries(message_id, port);
    CREATE TABLE IF NOT EXISTS backlog_ports (
      port TEXT NOT NULL PRIMARY KEY,
      enqueued INTEGER NOT NULL,       -- entries ever enqueued (the next sequence, when none was skipped)
      length INTEGER NOT NULL,         -- entries not yet sent or terminated
      head_sequence INTEGER,           -- the lowest of those; null when the backlog is empty
      last_enqueued_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    apply(db, event);
  },
};

function apply(db: Database.Database, event: RecordedEvent): void {
  switch (event.type) {
    case 'MessageReceived':
      return open(db, event.data.messageId, event.data.routing.sendPorts);
    case 'MessageResumed':
      if (event.data.port !== undefined) return status(db, event.data.messageId, event.data.port, 'pending');
      return open(db, event.data.messageId, event.data.routing?.sendPorts ?? []);
    case 'SendClaimed':
      prepared(db, `UPDATE backlog_sends SET status = 'sending', attempt = ? WHERE message_id = ? AND port = ?`).run(
        event.data.attempt,
        event.data.messageId,
        event.data.port,
      );
      return;
    case 'SendFailed':
      if (event.data.nextRetryAt === undefined) return;
      return status(db, event.data.messageId, event.data.port, 'retrying');
    case 'MessageSuspended':
      // A send suspended after it was sent (no reply came) is open again until resent or terminated.
      if (event.data.port === undefined) return;
      prepared(
        db,
        `INSERT INTO backlog_sends (message_id, port, status, attempt) VALUES (?, ?, 'suspended', 0)
         ON CONFLICT(message_id, port) DO UPDATE SET status = 'suspended'`,
      ).run(event.data.messageId, event.data.port);
      return;
    case 'MessageSent':
      return finished(db, event.data.messageId, event.data.port);
    case 'MessageTerminated':
      return finished(db, event.data.messageId, event.data.port);
    case 'MessageEnqueued':
      return enqueued(db, event);
    default:
      return;
  }
}

function open(db: Database.Database, messageId: string, ports: readonly string[]): void {
  for (const port of ports) {
    prepared(
      db,
      `INSERT INTO backlog_sends (message_id, port, status, attempt) VALUES (?, ?, 'pending', 0) ON CONFLICT DO NOTHING`,
    ).run(messageId, port);
  }
}

function status(db: Database.Database, messageId: string, port: string, to: string): void {
  prepared(db, 'UPDATE backlog_sends SET status = ? WHERE message_id = ? AND port = ?').run(to, messageId, port);
}

/** A send ended (sent or terminated; `port` undefined: the whole message): its entries leave the backlogs. */
function finished(db: Database.Database, messageId: string, port: string | undefined): void {
  const byPort = port !== undefined;
  const where = byPort ? 'message_id = ? AND port = ?' : 'message_id = ?';
  const keys = byPort ? [messageId, port] : [messageId];
  prepared(db, `DELETE FROM backlog_sends WHERE ${where}`).run(...keys);
  const removed = prepared(db, `DELETE FROM backlog_entries WHERE ${where} RETURNING port`).all(...keys) as {
    port: string;
  }[];
  for (const entry of removed) {
    prepared(
      db,
      `UPDATE backlog_ports SET length = length - 1,
         head_sequence = (SELECT min(sequence) FROM backlog_entries WHERE port = @port) WHERE port = @port`,
    ).run({ port: entry.port });
  }
}

function enqueued(db: Database.Database, event: RecordedEvent & EventOf<'MessageEnqueued'>): void {
  const { port, messageId, sequence, routedAt } = event.data;
  const at = event.recordedAt.getTime();
  const open = prepared(db, 'SELECT 1 FROM backlog_sends WHERE message_id = ? AND port = ?').get(messageId, port);
  const added = open
    ? prepared(
        db,
        `INSERT INTO backlog_entries (port, sequence, message_id, enqueued_at, routed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ).run(port, sequence, messageId, at, Number(routedAt)).changes
    : 0;
  prepared(
    db,
    `INSERT INTO backlog_ports (port, enqueued, length, head_sequence, last_enqueued_at)
       VALUES (@port, 1, @added, CASE WHEN @added > 0 THEN @sequence END, @at)
     ON CONFLICT(port) DO UPDATE SET enqueued = enqueued + 1, length = length + @added,
       head_sequence = CASE WHEN @added > 0 THEN min(coalesce(head_sequence, @sequence), @sequence) ELSE head_sequence END,
       last_enqueued_at = @at`,
  ).run({ port, added, sequence, at });
}
