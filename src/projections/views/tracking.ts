import type Database from 'better-sqlite3';
import type { EventOf } from '../../domain/events/index.js';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { epochMs, prepared } from './statements.js';
import {
  isPortStatus,
  noDeltas,
  trackingRebuildSchema,
  trackingSchema,
  transition,
  updateMessageSql,
  type FlowStep,
  type PortStatus,
} from './tracking-schema.js';

/**
 * Where every message is: per message its status, receipt, attempts and last error; per send
 * (message and port) its status and outcome; the flow timeline of each message; and per port
 * the count of its sends in each status, kept up to date event by event. See `tracking-schema.ts`
 * for the statuses and steps.
 */
export const trackingView: Projection = {
  name: 'tracking',
  filter: {
    streamPrefixes: ['message-', 'correlation-'],
    eventTypes: [
      'MessageReceived',
      'MessageUnroutable',
      'SendClaimed',
      'MessageSent',
      'SendFailed',
      'MessageSuspended',
      'MessageResumed',
      'MessageTerminated',
      'MessageReplayed',
      'CorrelationInitialized',
      'CorrelationFollowed',
    ],
  },
  tables: [
    { name: 'tracking_messages', key: ['message_id'] },
    { name: 'tracking_ports', key: ['message_id', 'port'] },
    { name: 'tracking_flow', key: ['message_id', 'position', 'seq'] },
    { name: 'tracking_port_counts', key: ['port'] },
  ],
  setup(db) {
    db.exec(trackingSchema);
  },
  setupRebuild(db) {
    db.exec(trackingRebuildSchema);
  },
  apply(db, event) {
    apply(db, event);
  },
};

type Event<T extends RecordedEvent['type']> = RecordedEvent & EventOf<T>;

function apply(db: Database.Database, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  switch (event.type) {
    case 'MessageReceived':
      return received(db, event, at);
    case 'MessageUnroutable':
      changeMessage(db, event.data.messageId, at, { stage: 'route' });
      return flow(db, event, at, [[event.data.messageId, 'unroutable', null, { reason: event.data.reason }]]);
    case 'SendClaimed': {
      const { messageId, port, attempt, worker } = event.data;
      const from = portUpdate(db, 'claimed', [attempt, at, messageId, port]);
      moved(db, messageId, port, from, 'sending', at, 1);
      return flow(db, event, at, [[messageId, 'claim', port, { attempt, worker }]]);
    }
    case 'MessageSent': {
      const { messageId, port, attempt, transport, address, durationMs, outcome } = event.data;
      const from = portUpdate(db, 'sent', [attempt, transport, address ?? null, at, at, messageId, port]);
      moved(db, messageId, port, from, 'sent', at);
      const detail = {
        attempt,
        transport,
        durationMs,
        ...(address ? { address } : {}),
        ...(outcome ? { outcome } : {}),
      };
      return flow(db, event, at, [[messageId, 'send', port, detail]]);
    }
    case 'SendFailed':
      return failed(db, event, at);
    case 'MessageSuspended':
      return suspended(db, event, at);
    case 'MessageResumed':
      return resumed(db, event, at);
    case 'MessageTerminated': {
      const { messageId, port, note } = event.data;
      if (port === undefined) changeMessage(db, messageId, at, { stage: null, terminate: 1 });
      else moved(db, messageId, port, portUpdate(db, 'terminated', [at, messageId, port]), 'terminated', at);
      return flow(db, event, at, [[messageId, 'terminate', port ?? null, note === undefined ? null : { note }]]);
    }
    case 'MessageReplayed': {
      const { messageId, originalMessageId, replayId, sendPort } = event.data;
      prepared(
        db,
        'UPDATE tracking_messages SET replay_of = ?, replay_id = ?, updated_at = ? WHERE message_id = ?',
      ).run(originalMessageId, replayId, at, messageId);
      return flow(db, event, at, [
        [originalMessageId, 'replay', sendPort, { copy: messageId, replayId }],
        [messageId, 'replay-of', sendPort, { original: originalMessageId, replayId }],
      ]);
    }
    case 'CorrelationInitialized': {
      const { set, key, messageId, port, keySource, expiresAt } = event.data;
      const detail = { set, key, keySource, ...(expiresAt ? { expiresAt } : {}) };
      return flow(db, event, at, [[messageId, 'correlate', port ?? null, detail]]);
    }
    case 'CorrelationFollowed': {
      const { set, key, messageId, requestMessageId } = event.data;
      prepared(db, 'UPDATE tracking_messages SET request_message_id = ?, updated_at = ? WHERE message_id = ?').run(
        requestMessageId,
        at,
        messageId,
      );
      prepared(db, 'UPDATE tracking_messages SET reply_message_id = ?, updated_at = ? WHERE message_id = ?').run(
        messageId,
        at,
        requestMessageId,
      );
      return flow(db, event, at, [
        [requestMessageId, 'reply', null, { reply: messageId, set, key }],
        [messageId, 'reply-to', null, { request: requestMessageId, set, key }],
      ]);
    }
    default:
      return;
  }
}

function received(db: Database.Database, event: Event<'MessageReceived'>, at: number): void {
  const d = event.data;
  const ports = [...new Set(d.routing.sendPorts)];
  const inserted = prepared(
    db,
    `INSERT INTO tracking_messages (message_id, status, receive_location, receive_port, adapter, source_key, batch_id,
       received_at, n_pending, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING`,
  ).run(
    d.messageId,
    ports.length > 0 ? 'routed' : 'received',
    d.receiveLocation,
    d.receivePort ?? null,
    d.adapter,
    d.sourceKey ?? null,
    d.batch?.batchId ?? null,
    at,
    ports.length,
    at,
  );
  // A message is received once; a repeated receipt (which the store never writes) changes nothing.
  if (inserted.changes === 0) return;
  routeTo(db, d.messageId, ports, at, at);
  const receive = {
    location: d.receiveLocation,
    adapter: d.adapter,
    ...(d.sourceKey ? { sourceKey: d.sourceKey } : {}),
  };
  flow(db, event, at, [
    [d.messageId, 'receive', null, receive],
    ...(ports.length > 0 ? [[d.messageId, 'route', null, d.routing] as const] : []),
  ]);
}

/** New pending sends of a message; returns how many were new. */
function routeTo(db: Database.Database, messageId: string, ports: readonly string[], receivedAt: number, at: number) {
  let added = 0;
  for (const port of ports) {
    const row = prepared(
      db,
      `INSERT INTO tracking_ports (message_id, port, status, received_at, updated_at) VALUES (?, ?, 'pending', ?, ?)
       ON CONFLICT(message_id, port) DO NOTHING`,
    ).run(messageId, port, receivedAt, at);
    if (row.changes === 0) continue;
    added++;
    prepared(
      db,
      `INSERT INTO tracking_port_counts (port, routed, pending) VALUES (?, 1, 1)
       ON CONFLICT(port) DO UPDATE SET routed = routed + 1, pending = pending + 1`,
    ).run(port);
  }
  return added;
}

function failed(db: Database.Database, event: Event<'SendFailed'>, at: number): void {
  const { messageId, port, attempt, transport, error, nextRetryAt, nextTransport } = event.data;
  // Without a next attempt the port gave up: the send stays claimed until the suspension that follows.
  const to: PortStatus = nextRetryAt === undefined ? 'sending' : 'retrying';
  const from = portUpdate(db, to === 'retrying' ? 'retrying' : 'failed', [
    attempt,
    transport,
    error.code,
    error.message,
    epochMs(nextRetryAt),
    at,
    messageId,
    port,
  ]);
  moved(db, messageId, port, from, to, at, 0, error.code, error.message);
  const detail = {
    attempt,
    transport,
    error: { code: error.code, message: error.message },
    ...(nextRetryAt ? { nextRetryAt } : {}),
    ...(nextTransport ? { nextTransport } : {}),
  };
  flow(db, event, at, [[messageId, 'fail', port, detail]]);
}

function suspended(db: Database.Database, event: Event<'MessageSuspended'>, at: number): void {
  const { messageId, port, stage, reason } = event.data;
  if (port === undefined)
    changeMessage(db, messageId, at, { stage, errorCode: reason.code, errorMessage: reason.message });
  else {
    const from = portUpdate(db, 'suspended', [reason.code, reason.message, at, messageId, port]);
    moved(db, messageId, port, from, 'suspended', at, 0, reason.code, reason.message);
  }
  flow(db, event, at, [[messageId, 'suspend', port ?? null, { stage, code: reason.code, message: reason.message }]]);
}

function resumed(db: Database.Database, event: Event<'MessageResumed'>, at: number): void {
  const { messageId, port, routing, note } = event.data;
  if (port !== undefined) {
    moved(db, messageId, port, portUpdate(db, 'pending', [at, messageId, port]), 'pending', at);
  } else {
    const row = prepared(db, 'SELECT received_at FROM tracking_messages WHERE message_id = ?').get(messageId) as
      { received_at: number } | undefined;
    const added = row ? routeTo(db, messageId, [...new Set(routing?.sendPorts ?? [])], row.received_at, at) : 0;
    changeMessage(db, messageId, at, { stage: null, pending: added });
  }
  const detail = { ...(note === undefined ? {} : { note }), ...(routing ? { sendPorts: routing.sendPorts } : {}) };
  flow(db, event, at, [[messageId, 'resume', port ?? null, detail]]);
}

/** How each event changes a send row; every statement returns the status the row had before. */
const portUpdates = Object.fromEntries(
  Object.entries({
    claimed: `status = 'sending', attempts = max(attempts, ?), next_retry_at = NULL, updated_at = ?`,
    sent: `status = 'sent', attempts = max(attempts, ?), transport = ?, address = ?, next_retry_at = NULL,
      sent_at = ?, updated_at = ?`,
    retrying: `status = 'retrying', attempts = max(attempts, ?), transport = ?, last_error_code = ?,
      last_error_message = ?, next_retry_at = ?, updated_at = ?`,
    failed: `status = 'sending', attempts = max(attempts, ?), transport = ?, last_error_code = ?,
      last_error_message = ?, next_retry_at = ?, updated_at = ?`,
    suspended: `status = 'suspended', last_error_code = ?, last_error_message = ?, next_retry_at = NULL, updated_at = ?`,
    pending: `status = 'pending', next_retry_at = NULL, updated_at = ?`,
    terminated: `status = 'terminated', next_retry_at = NULL, updated_at = ?`,
  }).map(([change, set]) => [
    change,
    `UPDATE tracking_ports SET prev_status = status, ${set} WHERE message_id = ? AND port = ? RETURNING prev_status`,
  ]),
) as Record<'claimed' | 'sent' | 'retrying' | 'failed' | 'suspended' | 'pending' | 'terminated', string>;

/** Changes a send row; returns its status before, or undefined when the message was not routed to the port. */
function portUpdate(db: Database.Database, change: keyof typeof portUpdates, params: unknown[]): string | undefined {
  return prepared(db, portUpdates[change])
    .pluck()
    .get(...params) as string | undefined;
}

/** A send moved from `from` to `to`: its port's counts and its message follow. */
function moved(
  db: Database.Database,
  messageId: string,
  port: string,
  from: string | undefined,
  to: PortStatus,
  at: number,
  attempts = 0,
  errorCode: string | null = null,
  errorMessage: string | null = null,
): void {
  // Not routed to this port (or a status this view does not know): nothing to count.
  if (from === undefined || !isPortStatus(from)) return;
  const statements = transition(from, to);
  if (statements.counts) prepared(db, statements.counts).run(port);
  prepared(db, statements.message).run(attempts, errorCode, errorMessage, at, at, messageId);
}

interface MessageChange {
  /** Sends added (a resume that routes the message). */
  readonly pending?: number;
  /** `null` clears the message-wide suspension; absent leaves it. */
  readonly stage?: string | null;
  readonly terminate?: 0 | 1;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** A change of the whole message, rather than of one of its sends. */
function changeMessage(db: Database.Database, messageId: string, at: number, change: MessageChange): void {
  prepared(db, updateMessageSql).run({
    ...noDeltas,
    pending: change.pending ?? 0,
    setStage: change.stage === undefined ? 0 : 1,
    stage: change.stage ?? null,
    terminate: change.terminate ?? 0,
    errorCode: change.errorCode ?? null,
    errorMessage: change.errorMessage ?? null,
    at,
    messageId,
  });
}

type FlowRow = readonly [messageId: string, step: FlowStep, port: string | null, detail: object | null];

const INSERT_FLOW = `INSERT INTO tracking_flow (message_id, position, seq, at, step, port, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT DO NOTHING`;

/** The steps one event adds to message timelines. */
function flow(db: Database.Database, event: RecordedEvent, at: number, rows: readonly FlowRow[]): void {
  const position = Number(event.position);
  const insert = prepared(db, INSERT_FLOW);
  rows.forEach(([messageId, step, port, detail], seq) => {
    insert.run(messageId, position, seq, at, step, port, detail === null ? null : JSON.stringify(detail));
  });
}
