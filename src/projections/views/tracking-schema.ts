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

/**
 * The flow timeline; `apply` only inserts into it, so a rebuild's side file holds it without its
 * key (`keyed` false) and the swap sorts it into the keyed form.
 */
function trackingFlowTable(keyed: boolean): string {
  const key = keyed ? '\n  PRIMARY KEY (message_id, position, seq)' : '';
  return `CREATE TABLE IF NOT EXISTS tracking_flow (
  message_id TEXT NOT NULL,
  position INTEGER NOT NULL,           -- of the event
  seq INTEGER NOT NULL,                -- the step's place among those of one event
  at INTEGER NOT NULL,
  step TEXT NOT NULL,                  -- see FlowStep
  port TEXT,
  detail TEXT${keyed ? ',' : ' '}                         -- JSON${key}
)${keyed ? ' WITHOUT ROWID' : ''};`;
}

function trackingTables(keyed: boolean): string {
  const flowTable = trackingFlowTable(keyed);
  return `
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
${flowTable}
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
}

/** Indexes for the queries; `apply` reads rows by primary key only. */
const trackingIndexes = `
CREATE INDEX IF NOT EXISTS tracking_messages_received ON tracking_messages(received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_status ON tracking_messages(status, received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_location ON tracking_messages(receive_location, received_at);
CREATE INDEX IF NOT EXISTS tracking_messages_replay_of ON tracking_messages(replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS tracking_ports_port ON tracking_ports(port, received_at);`;

export const trackingSchema = `${trackingTables(true)};${trackingIndexes}`;

/** A rebuild's side file: no secondary index, the flow table unkeyed (see `Projection.setupRebuild`). */
export const trackingRebuildSchema = trackingTables(false);

/** The new value of each column the status depends on, as SQL expressions. */
function statusSql(stage: string, terminated: string, n: (status: PortStatus) => string): string {
  return `CASE
    WHEN ${terminated} = 1 THEN 'terminated'
    WHEN ${stage} = 'route' THEN 'unroutable'
    WHEN ${stage} IS NOT NULL THEN 'suspended'
    WHEN ${n('suspended')} > 0 THEN 'suspended'
    WHEN ${n('retrying')} > 0 THEN 'retrying'
    WHEN ${n('sending')} > 0 THEN 'sending'
    WHEN ${n('pending')} > 0 THEN 'routed'
    WHEN ${n('sent')} + ${n('terminated')} = 0 THEN 'received'
    WHEN ${n('terminated')} > 0 THEN 'terminated'
    ELSE 'sent' END`;
}

const newStage = `(CASE WHEN @setStage = 1 THEN @stage ELSE suspended_stage END)`;
const newTerminated = `max(terminated, @terminate)`;
const newStatus = statusSql(newStage, newTerminated, (s) => `(n_${s} + @${s})`);

/**
 * A change of the whole message (suspended before routing, unroutable, resumed, terminated): the
 * stage and the terminated flag change, sends may be added (`@pending`), and the status is
 * computed from the new values in the same UPDATE.
 */
export const updateMessageSql = `UPDATE tracking_messages SET
  ${portStatuses.map((s) => `n_${s} = n_${s} + @${s}`).join(',\n  ')},
  suspended_stage = ${newStage},
  terminated = ${newTerminated},
  last_error_code = coalesce(@errorCode, last_error_code),
  last_error_message = coalesce(@errorMessage, last_error_message),
  status = ${newStatus},
  completed_at = CASE WHEN ${newStatus} IN ('sent', 'terminated') THEN coalesce(completed_at, @at) ELSE NULL END,
  updated_at = @at
  WHERE message_id = @messageId`;

export interface Transition {
  /**
   * The message row follows one send's move. Parameters: attempts to add, error code, error
   * message (both null to keep the last error), time, time again, message id.
   */
  readonly message: string;
  /** The port's counts row follows it. Parameter: the port. */
  readonly counts: string;
}

const transitions = new Map<string, Transition>();

/**
 * The statements for one send moving `from` → `to`, with the deltas written into the SQL, so
 * that the many sends of a busy engine bind a handful of parameters each and the status is
 * computed in the same UPDATE (the row is never read first). Made once per pair.
 */
export function transition(from: PortStatus, to: PortStatus): Transition {
  const name = `${from}>${to}`;
  let found = transitions.get(name);
  if (found) return found;
  const delta = (s: PortStatus) => (s === to ? 1 : 0) - (s === from ? 1 : 0);
  const changed = from === to ? [] : [from, to];
  const status = statusSql('suspended_stage', 'terminated', (s) =>
    delta(s) === 0 ? `n_${s}` : `(n_${s} + ${delta(s)})`,
  );
  const message = `UPDATE tracking_messages SET
    ${changed.map((s) => `n_${s} = n_${s} + ${delta(s)}, `).join('')}attempts = attempts + ?,
    last_error_code = coalesce(?, last_error_code),
    last_error_message = coalesce(?, last_error_message),
    status = ${status},
    completed_at = CASE WHEN ${status} IN ('sent', 'terminated') THEN coalesce(completed_at, ?) ELSE NULL END,
    updated_at = ?
    WHERE message_id = ?`;
  const counts =
    from === to ? '' : `UPDATE tracking_port_counts SET ${from} = ${from} - 1, ${to} = ${to} + 1 WHERE port = ?`;
  found = { message, counts };
  transitions.set(name, found);
  return found;
}

export type StatusDeltas = Record<PortStatus, number>;

export const noDeltas: StatusDeltas = { pending: 0, sending: 0, retrying: 0, sent: 0, suspended: 0, terminated: 0 };

export function isPortStatus(value: string): value is PortStatus {
  return (portStatuses as readonly string[]).includes(value);
}
