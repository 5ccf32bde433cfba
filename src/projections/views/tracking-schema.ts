/**
 * What the tracking view says of a message, one of a closed set, by priority (the first that
 * holds wins):
 * - `terminated`: an operator ended the message, or ended a send of it and every other send is sent;
 * - `unroutable`: no subscription matched it; suspended until resumed under a newer configuration;
 * - `suspended`: the message (its receive pipeline failed) or one of its sends is suspended;
 * - `retrying`: a send failed and waits for its next attempt (on the same or the backup transport);
 * - `sending`: a send is claimed by a worker and in progress;
 * - `routed`: at least one send waits to be claimed (new or resumed);
 * - `received`: recorded and routed to no send port (yet);
 * - `sent`: every send it was routed to is sent.
 * A replayed copy is a message of its own with one of these statuses; `replayOf` names its original.
 */
export const trackingStatuses = [
  'received',
  'routed',
  'unroutable',
  'sending',
  'retrying',
  'sent',
  'suspended',
  'terminated',
] as const;
export type TrackingStatus = (typeof trackingStatuses)[number];

/** The status of one send of a message (one message-port row). */
export const portStatuses = ['pending', 'sending', 'retrying', 'sent', 'suspended', 'terminated'] as const;
export type PortStatus = (typeof portStatuses)[number];

/**
 * The steps of a message's flow timeline: receive → route (or unroutable) → claim → send / fail →
 * suspend / resume / terminate; `correlate` (a send started a conversation), `reply` (the request
 * got its reply) and `reply-to` (this message answers a request); `replay` (a copy was made of
 * this message) and `replay-of` (this message is such a copy).
 */
export const flowSteps = [
  'receive',
  'route',
  'unroutable',
  'claim',
  'send',
  'fail',
  'suspend',
  'resume',
  'terminate',
  'correlate',
  'reply',
  'reply-to',
  'replay',
  'replay-of',
] as const;
export type FlowStep = (typeof flowSteps)[number];

const trackingTables = `
CREATE TABLE IF NOT EXISTS tracking_messages (
  message_id TEXT NOT NULL PRIMARY KEY,
  status TEXT NOT NULL,                -- see TrackingStatus
  receive_location TEXT NOT NULL,
  receive_port TEXT,
  adapter TEXT NOT NULL,
  source_key TEXT,
  batch_id TEXT,
  received_at INTEGER NOT NULL,        -- ms since epoch, as recorded
  completed_at INTEGER,                -- when it became sent or terminated; cleared if reopened
  attempts INTEGER NOT NULL DEFAULT 0, -- send attempts claimed, over all ports
  last_error_code TEXT,
  last_error_message TEXT,
  suspended_stage TEXT,                -- receive | route: the whole message is suspended
  terminated INTEGER NOT NULL DEFAULT 0,
  replay_of TEXT,                      -- the original, when this is a replayed copy
  replay_id TEXT,
  request_message_id TEXT,             -- the request this message replies to
  reply_message_id TEXT,               -- the latest reply to this message
  n_pending INTEGER NOT NULL DEFAULT 0, -- its sends by status: the status follows from them
  n_sending INTEGER NOT NULL DEFAULT 0,
  n_retrying INTEGER NOT NULL DEFAULT 0,
  n_sent INTEGER NOT NULL DEFAULT 0,
  n_suspended INTEGER NOT NULL DEFAULT 0,
  n_terminated INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tracking_ports (
  message_id TEXT NOT NULL,
  port TEXT NOT NULL,
  status TEXT NOT NULL,                -- see PortStatus
  prev_status TEXT,                    -- the status before the latest change
  attempts INTEGER NOT NULL DEFAULT 0, -- the latest attempt claimed
  transport TEXT,                      -- primary | backup: of the latest attempt that ended
  address TEXT,
  last_error_code TEXT,
  last_error_message TEXT,
  next_retry_at INTEGER,
  sent_at INTEGER,
  received_at INTEGER NOT NULL,        -- the message's, so a port's messages page by time
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, port)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tracking_flow (
  message_id TEXT NOT NULL,
  position INTEGER NOT NULL,           -- of the event
  seq INTEGER NOT NULL,                -- the step's place among those of one event
  at INTEGER NOT NULL,
  step TEXT NOT NULL,                  -- see FlowStep
  port TEXT,
  detail TEXT,                         -- JSON
  PRIMARY KEY (message_id, position, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tracking_port_counts (
  port TEXT NOT NULL PRIMARY KEY,
  routed INTEGER NOT NULL DEFAULT 0,   -- sends ever routed to the port
  pending INTEGER NOT NULL DEFAULT 0,
  sending INTEGER NOT NULL DEFAULT 0,
  retrying INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  suspended INTEGER NOT NULL DEFAULT 0,
  terminated INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID`;

/** Indexes for the queries; `apply` reads rows by primary key only. */
const trackingIndexes = `
CREATE INDEX IF NOT EXISTS tracking_messages_received ON tracking_messages(received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_status ON tracking_messages(status, received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_location ON tracking_messages(receive_location, received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_replay_of ON tracking_messages(replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS tracking_ports_port ON tracking_ports(port, received_at);`;

export const trackingSchema = `${trackingTables};${trackingIndexes}`;

export function isPortStatus(value: string): value is PortStatus {
  return (portStatuses as readonly string[]).includes(value);
}
