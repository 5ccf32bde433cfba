import { eventDefinitions } from '../../domain/events/index.js';
import { categoryOf } from '../../domain/streams.js';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/** Operator actions: always in the log, whoever wrote them. */
const operatorActions = new Set<string>([
  'MessageResumed',
  'MessageTerminated',
  'MessageReplayed',
  'ConfigDefined',
  'ConfigEnabled',
  'ConfigDisabled',
  'ConfigRemoved',
]);

/**
 * Events only workers write, many of them: the log never reads them. A filter cannot select by
 * actor, so the log reads every other type (new types included) and keeps those written by a
 * user or an API token. A receipt is written by an operator only as a replayed copy, and the
 * `MessageReplayed` beside it is that action's entry: reading every receipt to find those would
 * double the entry and make the log read the busiest event type there is.
 */
const workerOnly = new Set<string>([
  'MessageReceived',
  'MessageUnroutable',
  'MessageSuspended',
  'HostInstanceStarted',
  'HostInstanceStopped',
  'HostInstanceAlive',
  'SendClaimed',
  'MessageSent',
  'SendFailed',
  'LeaseAcquired',
  'LeaseRenewed',
  'LeaseTakenOver',
  'FenceRaised',
  'MessageEnqueued',
  'BacklogCheckpointed',
  'FileClaimed',
  'FileCompleted',
  'MailClaimed',
  'MailCompleted',
  'QueueMessageClaimed',
  'QueueMessageCompleted',
  'ClaimsCheckpointed',
  'CorrelationInitialized',
  'CorrelationFollowed',
]);

/** An actor that is a person: a user, or the owner of an API token. */
export function isOperator(actor: string): boolean {
  return actor.startsWith('user:') || actor.startsWith('token:');
}

/**
 * The audit log: every operator action with its actor — resume, terminate, replay, every
 * configuration change — and any other event written by a user or an API token, with its target
 * (a message id, `kind/name` of a configuration item, a lease resource…) and a JSON detail.
 */
export const auditLogView: Projection = {
  name: 'audit-log',
  filter: { eventTypes: eventDefinitions.map((d) => d.type).filter((type) => !workerOnly.has(type)) },
  tables: [{ name: 'audit_log', key: ['position'] }],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS audit_log (
      position INTEGER NOT NULL PRIMARY KEY,
      at INTEGER NOT NULL,             -- ms since epoch, as recorded
      actor TEXT NOT NULL,
      action TEXT NOT NULL,            -- the event type
      target_kind TEXT NOT NULL,       -- message | config | lease | location | port | correlation | host | stream
      target TEXT NOT NULL,
      stream_id TEXT NOT NULL,
      detail TEXT                      -- JSON
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, position);
    CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log(target_kind, target, position);
    CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at)`);
  },
  apply(db, event) {
    if (!operatorActions.has(event.type) && !isOperator(event.metadata.actor)) return;
    const { kind, target, detail } = describeAction(event);
    prepared(
      db,
      `INSERT INTO audit_log (position, at, actor, action, target_kind, target, stream_id, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
      Number(event.position),
      event.recordedAt.getTime(),
      event.metadata.actor,
      event.type,
      kind,
      target,
      event.streamId,
      detail === undefined ? null : JSON.stringify(detail),
    );
  },
};

function describeAction(event: RecordedEvent): { kind: string; target: string; detail?: object } {
  switch (event.type) {
    case 'MessageResumed': {
      const { messageId, port, note, routing } = event.data;
      return {
        kind: 'message',
        target: messageId,
        detail: { ...opt({ port, note }), ...(routing ? { sendPorts: routing.sendPorts } : {}) },
      };
    }
    case 'MessageTerminated':
      return {
        kind: 'message',
        target: event.data.messageId,
        detail: {
          ...opt({ port: event.data.port, note: event.data.note }),
          ...(event.data.resubmittedAs ? { resubmittedAs: event.data.resubmittedAs } : {}),
        },
      };
    case 'MessageReplayed': {
      const { messageId, originalMessageId, replayId, sendPort } = event.data;
      return { kind: 'message', target: originalMessageId, detail: { copy: messageId, replayId, sendPort } };
    }
    case 'ConfigDefined':
      return { kind: 'config', target: configTarget(event.data), detail: { definition: event.data.definition } };
    case 'ConfigEnabled':
    case 'ConfigDisabled':
    case 'ConfigRemoved':
      return { kind: 'config', target: configTarget(event.data) };
    default: {
      // Another event written by a person: name what it is about, leave its (maybe large) data out.
      const data = event.data as { messageId?: unknown; resource?: unknown; host?: unknown };
      const category = categoryOf(event.streamId) ?? 'stream';
      const target = [data.messageId, data.resource, data.host].find((v): v is string => typeof v === 'string');
      return { kind: category, target: target ?? event.streamId };
    }
  }
}

function configTarget(data: { kind: string; name: string }): string {
  return `${data.kind}/${data.name}`;
}

/** The defined entries of `fields` only. */
function opt(fields: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}
