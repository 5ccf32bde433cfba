import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findMessages } from '../../projections/queries/index.js';
import type { ApiContext } from '../context.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { foldMessage } from '../../domain/message/index.js';
import { streams } from '../../domain/streams.js';
import {
  actOnMessage,
  livePipelines,
  liveRouting,
  suspendedTargets,
  type ActionResult,
  type MessageAction,
} from '../message-actions.js';
import { selectionSchema, selectionViews, toMessageFilter, type Selection } from '../selection.js';
import { resubmitter } from '../../workers/resubmit.js';
import { withViews } from '../views.js';
import { messageIdParams } from './messages.js';
import { routeAdder } from './route-adder.js';

/** What resuming needs of the configuration live now: the routing, and each location's pipeline. */
function liveConfiguration(context: ApiContext, db: Database.Database) {
  const routing = liveRouting(db);
  const pipelines = livePipelines(db);
  const resubmit = resubmitter({
    store: context.store,
    blobs: context.blobs,
    pipelineOf: (location) => pipelines.get(location),
    routing: () => routing,
  });
  return { routing, resubmit };
}

/** A bulk action touches at most this many messages; a larger selection is refused whole. */
export const MAX_BULK = 10_000;

const note = z.string().min(1).max(1000);

const resumeBody = z
  .strictObject({
    port: z.string().min(1).optional().meta({ description: 'only the send to this port' }),
    note: note.optional(),
  })
  .optional();

const terminateBody = z.strictObject({
  reason: note.meta({ description: 'why: kept in the event and the audit log' }),
  port: z.string().min(1).optional().meta({ description: 'only the send to this port' }),
});

const actionAnswer = z.object({
  messageId: z.string(),
  action: z.enum(['resume', 'terminate']),
  ports: z.array(z.string().nullable()).meta({ description: 'the sends acted on; null: the whole message' }),
  actor: z.string(),
});

const bulkBody = z.strictObject({
  query: selectionSchema,
  reason: note.optional().meta({ description: 'why: kept in each event and the audit log' }),
  dryRun: z.boolean().default(false),
});

const bulkAnswer = z.object({
  action: z.enum(['resume', 'terminate']),
  dryRun: z.boolean(),
  matched: z.number().meta({ description: 'messages the query selected' }),
  done: z.number().meta({ description: 'messages acted on (dry run: that would be)' }),
  messageIds: z.array(z.string()).meta({ description: 'the messages acted on (dry run: selected)' }),
  skipped: z.array(z.object({ messageId: z.string(), code: z.string(), reason: z.string() })),
  actor: z.string(),
});

function refusal(result: ActionResult & { ok: false }): ApiError {
  if (result.code === 'NO_MESSAGE') return notFound('MESSAGE_NOT_FOUND', `no message ${result.messageId}`);
  if (result.code === 'NOT_ROUTED_TO_PORT') return notFound('PORT_NOT_ROUTED', result.reason);
  return conflict(result.code, result.reason);
}

/** Every message id the selection matches, oldest first; refused when it is more than MAX_BULK. */
export function selectIds(db: Parameters<typeof findMessages>[0], selection: Selection): string[] {
  if (Object.values(selection).every((v) => v === undefined)) {
    throw badRequest(
      'EMPTY_QUERY',
      'give at least one criterion in query (status, location, port, from, to, property)',
      [{ path: 'body.query', message: 'no criterion' }],
    );
  }
  const filter = toMessageFilter(selection);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = findMessages(db, filter, { limit: 1000, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((m) => m.messageId));
    if (ids.length > MAX_BULK) {
      throw badRequest('SELECTION_TOO_LARGE', `the query selects more than ${MAX_BULK} messages; narrow it`, [
        { path: 'body.query', message: `more than ${MAX_BULK} messages` },
      ]);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return ids.reverse();
}

export function operationRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);
  const routing = () => withViews(context, ['config'], (db) => liveConfiguration(context, db));

  for (const action of ['resume', 'terminate'] as const) {
    add({
      method: 'POST',
      url: `/api/v1/messages/:id/${action}`,
      summary:
        action === 'resume'
          ? 'Resume what is suspended in a message (a suspended send is sent again; an unroutable message is routed again; one that failed its receive pipeline is resubmitted through the pipeline live now)'
          : 'Terminate what is suspended in a message, for good',
      tags: ['operations'],
      role: 'operator',
      params: messageIdParams,
      body: action === 'resume' ? resumeBody : terminateBody,
      response: actionAnswer,
      errors: [404, 409],
      handler: async ({ params, body, principal }) => {
        const live = await routing();
        const text = body && 'reason' in body ? body.reason : body?.note;
        const result = await actOnMessage(
          context.store,
          action,
          params.id,
          { port: body?.port, note: text, actor: principal!.actor },
          () => live.routing,
          live.resubmit,
        );
        if (!result.ok) throw refusal(result);
        return { messageId: params.id, action, ports: result.ports, actor: principal!.actor };
      },
    });

    add({
      method: 'POST',
      url: `/api/v1/messages/${action}`,
      summary: `Bulk ${action}: every message the query selects (what is suspended in it)`,
      description: `At most ${MAX_BULK} messages; the whole request is checked before anything is written.`,
      tags: ['operations'],
      role: 'operator',
      body: bulkBody,
      response: bulkAnswer,
      handler: async ({ body, principal }) => bulk(context, action, body, principal!.actor),
    });
  }
}

async function bulk(
  context: ApiContext,
  action: MessageAction,
  body: { query: Selection; reason?: string | undefined; dryRun: boolean },
  actor: string,
) {
  const { ids, live } = await withViews(context, [...selectionViews, 'config'], (db) => ({
    ids: selectIds(db, body.query),
    live: liveConfiguration(context, db),
  }));
  const done: string[] = [];
  const skipped: { messageId: string; code: string; reason: string }[] = [];
  for (const messageId of ids) {
    const result = body.dryRun
      ? await wouldAct(context, messageId)
      : await actOnMessage(
          context.store,
          action,
          messageId,
          { note: body.reason, actor },
          () => live.routing,
          live.resubmit,
        );
    if (result.ok) done.push(messageId);
    else skipped.push({ messageId, code: result.code, reason: result.reason });
  }
  return { action, dryRun: body.dryRun, matched: ids.length, done: done.length, messageIds: done, skipped, actor };
}

/** What a bulk action would do to one message: act on what is suspended in it, or skip it. */
async function wouldAct(context: ApiContext, messageId: string): Promise<ActionResult> {
  const targets = suspendedTargets(foldMessage(await context.store.readStream(streams.message(messageId))));
  if (targets.length === 0) {
    return { messageId, ok: false, code: 'NOT_SUSPENDED', reason: `nothing in message ${messageId} is suspended` };
  }
  return { messageId, ok: true, ports: targets.map((p) => p ?? null) };
}
