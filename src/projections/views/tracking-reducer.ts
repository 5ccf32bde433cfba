import type { EventOf } from '../../domain/events/index.js';
import type { RecordedEvent } from '../../store/event-store.js';
import { epochMs } from './statements.js';
import type { MessageRow, PortRow, TrackingRowAccess } from './tracking-rows.js';
import { isPortStatus, type FlowStep, type PortStatus, type TrackingStatus } from './tracking-schema.js';

type Event<T extends RecordedEvent['type']> = RecordedEvent & EventOf<T>;
type Step = readonly [messageId: string, step: FlowStep, port: string | null, detail: object | null];

/**
 * How one event changes the tracking view's rows. The same reducer feeds the followed view and
 * a rebuild, so the two cannot disagree; only where the rows live differs (see `TrackingRows`).
 */
export function applyTracking(rows: TrackingRowAccess, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  const steps = (list: readonly Step[]) => flow(rows, event, at, list);
  switch (event.type) {
    case 'MessageReceived':
      return received(rows, event, at, steps);
    case 'MessageUnroutable':
      changeMessage(rows, event.data.messageId, at, { stage: 'route' });
      return steps([[event.data.messageId, 'unroutable', null, { reason: event.data.reason }]]);
    case 'SendClaimed': {
      const { messageId, port, attempt, worker } = event.data;
      const from = changePort(rows, messageId, port, at, (p) => {
        p.status = 'sending';
        p.attempts = Math.max(p.attempts, attempt);
        p.next_retry_at = null;
      });
      moved(rows, messageId, port, from, 'sending', at, 1);
      return steps([[messageId, 'claim', port, { attempt, worker }]]);
    }
    case 'MessageSent': {
      const { messageId, port, attempt, transport, address, durationMs, outcome } = event.data;
      const from = changePort(rows, messageId, port, at, (p) => {
        p.status = 'sent';
        p.attempts = Math.max(p.attempts, attempt);
        p.transport = transport;
        p.address = address ?? null;
        p.next_retry_at = null;
        p.sent_at = at;
      });
      moved(rows, messageId, port, from, 'sent', at);
      const detail = {
        attempt,
        transport,
        durationMs,
        ...(address ? { address } : {}),
        ...(outcome ? { outcome } : {}),
      };
      return steps([[messageId, 'send', port, detail]]);
    }
    case 'SendFailed':
      return failed(rows, event, at, steps);
    case 'MessageSuspended': {
      const { messageId, port, stage, reason } = event.data;
      if (port === undefined)
        changeMessage(rows, messageId, at, { stage, errorCode: reason.code, errorMessage: reason.message });
      else {
        const from = changePort(rows, messageId, port, at, (p) => {
          p.status = 'suspended';
          p.last_error_code = reason.code;
          p.last_error_message = reason.message;
          p.next_retry_at = null;
        });
        moved(rows, messageId, port, from, 'suspended', at, 0, reason.code, reason.message);
      }
      return steps([[messageId, 'suspend', port ?? null, { stage, code: reason.code, message: reason.message }]]);
    }
    case 'MessageResumed':
      return resumed(rows, event, at, steps);
    case 'MessageTerminated': {
      const { messageId, port, note, resubmittedAs } = event.data;
      if (port === undefined) changeMessage(rows, messageId, at, { stage: null, terminate: 1 });
      else {
        const from = changePort(rows, messageId, port, at, (p) => {
          p.status = 'terminated';
          p.next_retry_at = null;
        });
        moved(rows, messageId, port, from, 'terminated', at);
      }
      const detail = { ...(note === undefined ? {} : { note }), ...(resubmittedAs ? { resubmittedAs } : {}) };
      return steps([[messageId, 'terminate', port ?? null, Object.keys(detail).length > 0 ? detail : null]]);
    }
    case 'MessageReplayed': {
      const { messageId, originalMessageId, replayId, sendPort } = event.data;
      changeColumns(rows, messageId, at, { replay_of: originalMessageId, replay_id: replayId });
      return steps([
        [originalMessageId, 'replay', sendPort, { copy: messageId, replayId }],
        [messageId, 'replay-of', sendPort, { original: originalMessageId, replayId }],
      ]);
    }
    case 'CorrelationInitialized': {
      const { set, key, messageId, port, keySource, expiresAt } = event.data;
      const detail = { set, key, keySource, ...(expiresAt ? { expiresAt } : {}) };
      return steps([[messageId, 'correlate', port ?? null, detail]]);
    }
    case 'CorrelationFollowed': {
      const { set, key, messageId, requestMessageId } = event.data;
      changeColumns(rows, messageId, at, { request_message_id: requestMessageId });
      changeColumns(rows, requestMessageId, at, { reply_message_id: messageId });
      return steps([
        [requestMessageId, 'reply', null, { reply: messageId, set, key }],
        [messageId, 'reply-to', null, { request: requestMessageId, set, key }],
      ]);
    }
    default:
      return;
  }
}

function received(
  rows: TrackingRowAccess,
  event: Event<'MessageReceived'>,
  at: number,
  steps: (list: readonly Step[]) => void,
): void {
  const d = event.data;
  // A message is received once; a repeated receipt (which the store never writes) changes nothing.
  if (!rows.owns(d.messageId) || rows.message(d.messageId)) return;
  const ports = [...new Set(d.routing.sendPorts)];
  rows.save('messages', {
    message_id: d.messageId,
    status: ports.length > 0 ? 'routed' : 'received',
    receive_location: d.receiveLocation,
    receive_port: d.receivePort ?? null,
    adapter: d.adapter,
    source_key: d.sourceKey ?? null,
    batch_id: d.batch?.batchId ?? null,
    received_at: at,
    completed_at: null,
    attempts: 0,
    last_error_code: null,
    last_error_message: null,
    suspended_stage: null,
    terminated: 0,
    replay_of: null,
    replay_id: null,
    request_message_id: null,
    reply_message_id: null,
    n_pending: ports.length,
    n_sending: 0,
    n_retrying: 0,
    n_sent: 0,
    n_suspended: 0,
    n_terminated: 0,
    updated_at: at,
  });
  routeTo(rows, d.messageId, ports, at, at);
  const receive = {
    location: d.receiveLocation,
    adapter: d.adapter,
    ...(d.sourceKey ? { sourceKey: d.sourceKey } : {}),
  };
  steps([
    [d.messageId, 'receive', null, receive],
    ...(ports.length > 0 ? [[d.messageId, 'route', null, d.routing] as const] : []),
  ]);
}

/** New pending sends of a message; returns how many were new. */
function routeTo(rows: TrackingRowAccess, messageId: string, ports: readonly string[], receivedAt: number, at: number) {
  let added = 0;
  for (const port of ports) {
    if (rows.port(messageId, port)) continue;
    rows.save('ports', {
      message_id: messageId,
      port,
      status: 'pending',
      prev_status: null,
      attempts: 0,
      transport: null,
      address: null,
      last_error_code: null,
      last_error_message: null,
      next_retry_at: null,
      sent_at: null,
      received_at: receivedAt,
      updated_at: at,
    });
    added++;
    const counts = rows.counts(port) ?? {
      port,
      routed: 0,
      pending: 0,
      sending: 0,
      retrying: 0,
      sent: 0,
      suspended: 0,
      terminated: 0,
    };
    counts.routed++;
    counts.pending++;
    rows.save('counts', counts);
  }
  return added;
}

function failed(
  rows: TrackingRowAccess,
  event: Event<'SendFailed'>,
  at: number,
  steps: (list: readonly Step[]) => void,
): void {
  const { messageId, port, attempt, transport, error, nextRetryAt, nextTransport } = event.data;
  // Without a next attempt the port gave up: the send stays claimed until the suspension that follows.
  const to: PortStatus = nextRetryAt === undefined ? 'sending' : 'retrying';
  const from = changePort(rows, messageId, port, at, (p) => {
    p.status = to;
    p.attempts = Math.max(p.attempts, attempt);
    p.transport = transport;
    p.last_error_code = error.code;
    p.last_error_message = error.message;
    p.next_retry_at = epochMs(nextRetryAt);
  });
  moved(rows, messageId, port, from, to, at, 0, error.code, error.message);
  const detail = {
    attempt,
    transport,
    error: { code: error.code, message: error.message },
    ...(nextRetryAt ? { nextRetryAt } : {}),
    ...(nextTransport ? { nextTransport } : {}),
  };
  steps([[messageId, 'fail', port, detail]]);
}

function resumed(
  rows: TrackingRowAccess,
  event: Event<'MessageResumed'>,
  at: number,
  steps: (list: readonly Step[]) => void,
): void {
  const { messageId, port, routing, note } = event.data;
  if (port !== undefined) {
    const from = changePort(rows, messageId, port, at, (p) => {
      p.status = 'pending';
      p.next_retry_at = null;
    });
    moved(rows, messageId, port, from, 'pending', at);
  } else {
    const message = rows.message(messageId);
    const added = message
      ? routeTo(rows, messageId, [...new Set(routing?.sendPorts ?? [])], message.received_at, at)
      : 0;
    changeMessage(rows, messageId, at, { stage: null, pending: added });
  }
  const detail = { ...(note === undefined ? {} : { note }), ...(routing ? { sendPorts: routing.sendPorts } : {}) };
  steps([[messageId, 'resume', port ?? null, detail]]);
}

/**
 * Changes a send row, remembering the status it had before; returns that status, or undefined
 * when the message was not routed to the port.
 */
function changePort(
  rows: TrackingRowAccess,
  messageId: string,
  port: string,
  at: number,
  change: (row: PortRow) => void,
): PortStatus | undefined {
  const row = rows.port(messageId, port);
  if (!row) return undefined;
  const before = row.status;
  row.prev_status = before;
  change(row);
  row.updated_at = at;
  rows.save('ports', row);
  return before;
}

const countColumn = {
  pending: 'n_pending',
  sending: 'n_sending',
  retrying: 'n_retrying',
  sent: 'n_sent',
  suspended: 'n_suspended',
  terminated: 'n_terminated',
} as const satisfies Record<PortStatus, keyof MessageRow>;

/** A send moved from `from` to `to`: its port's counts and its message follow. */
function moved(
  rows: TrackingRowAccess,
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
  if (from !== to) {
    const counts = rows.counts(port);
    if (counts) {
      counts[from]--;
      counts[to]++;
      rows.save('counts', counts);
    }
  }
  const message = rows.message(messageId);
  if (!message) return;
  if (from !== to) {
    message[countColumn[from]]--;
    message[countColumn[to]]++;
  }
  message.attempts += attempts;
  message.last_error_code = errorCode ?? message.last_error_code;
  message.last_error_message = errorMessage ?? message.last_error_message;
  settle(rows, message, at);
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
function changeMessage(rows: TrackingRowAccess, messageId: string, at: number, change: MessageChange): void {
  const message = rows.message(messageId);
  if (!message) return;
  message.n_pending += change.pending ?? 0;
  if (change.stage !== undefined) message.suspended_stage = change.stage;
  message.terminated = Math.max(message.terminated, change.terminate ?? 0);
  message.last_error_code = change.errorCode ?? message.last_error_code;
  message.last_error_message = change.errorMessage ?? message.last_error_message;
  settle(rows, message, at);
}

/** Columns that only link a message to another; they leave its status alone. */
function changeColumns(
  rows: TrackingRowAccess,
  messageId: string,
  at: number,
  columns: Partial<Pick<MessageRow, 'replay_of' | 'replay_id' | 'request_message_id' | 'reply_message_id'>>,
): void {
  const message = rows.message(messageId);
  if (!message) return;
  Object.assign(message, columns);
  message.updated_at = at;
  rows.save('messages', message);
}

/** The status follows from the counts and flags; a message that reaches sent or terminated is completed. */
function settle(rows: TrackingRowAccess, message: MessageRow, at: number): void {
  message.status = statusOf(message);
  message.completed_at =
    message.status === 'sent' || message.status === 'terminated' ? (message.completed_at ?? at) : null;
  message.updated_at = at;
  rows.save('messages', message);
}

/** See `trackingStatuses` for the order: the first that holds wins. */
export function statusOf(m: MessageRow): TrackingStatus {
  if (m.terminated === 1) return 'terminated';
  if (m.suspended_stage === 'route') return 'unroutable';
  if (m.suspended_stage !== null) return 'suspended';
  if (m.n_suspended > 0) return 'suspended';
  if (m.n_retrying > 0) return 'retrying';
  if (m.n_sending > 0) return 'sending';
  if (m.n_pending > 0) return 'routed';
  if (m.n_sent + m.n_terminated === 0) return 'received';
  if (m.n_terminated > 0) return 'terminated';
  return 'sent';
}

/** The steps one event adds to message timelines. */
function flow(rows: TrackingRowAccess, event: RecordedEvent, at: number, steps: readonly Step[]): void {
  const position = Number(event.position);
  for (let seq = 0; seq < steps.length; seq++) {
    const [messageId, step, port, detail] = steps[seq]!;
    rows.flow(messageId, position, seq, at, step, port, detail === null ? null : JSON.stringify(detail));
  }
}
