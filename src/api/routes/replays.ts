import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { configItems, findMessages } from '../../projections/queries/index.js';
import { replayMessages } from '../../workers/replay.js';
import type { ApiContext } from '../context.js';
import { badRequest } from '../errors.js';
import { selectionSchema, selectionViews, toMessageFilter } from '../selection.js';
import { withViews } from '../views.js';
import { MAX_BULK } from './operations.js';
import { routeAdder } from './route-adder.js';

const replayBody = z
  .strictObject({
    replayId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits, . _ : - only, at most 100')
      .meta({ description: 'names the replay: the same id run again sends nothing new' }),
    query: selectionSchema.optional(),
    messageIds: z.array(z.string().min(1).max(200)).max(MAX_BULK).optional(),
    toPort: z.string().min(1).optional().meta({ description: 'send the copies here instead of the original ports' }),
    includeCopies: z.boolean().default(false).meta({ description: 'also select copies made by earlier replays' }),
    dryRun: z.boolean().meta({ description: 'list what would be sent; write nothing' }),
  })
  .refine((b) => b.query !== undefined || (b.messageIds?.length ?? 0) > 0, {
    message: 'give query or messageIds',
    path: ['query'],
  });

const replayAnswer = z.object({
  replayId: z.string(),
  dryRun: z.boolean(),
  counts: z.record(z.string(), z.number()).meta({ description: 'items by status' }),
  items: z.array(
    z.object({
      original: z.string(),
      port: z.string().optional(),
      copy: z.string().optional(),
      status: z.enum(['would-replay', 'replayed', 'already-replayed', 'not-found', 'no-port', 'unknown-port']),
    }),
  ),
  actor: z.string(),
});

export function replayRoutes(app: FastifyInstance, context: ApiContext): void {
  routeAdder(
    app,
    context,
  )({
    method: 'POST',
    url: '/api/v1/replays',
    summary: 'Re-send recorded messages (by query or ids) to their ports or another, as new copies',
    description: `Copies get ids derived from replayId, so a rerun makes no new copy. At most ${MAX_BULK} originals.`,
    tags: ['operations'],
    role: 'operator',
    body: replayBody,
    response: replayAnswer,
    handler: async ({ body, principal }) => {
      const { ids, knownPorts } = await withViews(context, [...selectionViews, 'config'], (db) => {
        const selected: string[] = [];
        if (body.query) {
          if (Object.values(body.query).every((v) => v === undefined)) {
            throw badRequest('EMPTY_QUERY', 'query has no criterion', [
              { path: 'body.query', message: 'no criterion' },
            ]);
          }
          let cursor: string | undefined;
          do {
            const page = findMessages(db, toMessageFilter(body.query), { limit: 1000, ...(cursor ? { cursor } : {}) });
            selected.push(
              ...page.items.filter((m) => body.includeCopies || m.replayOf === null).map((m) => m.messageId),
            );
            cursor = page.nextCursor;
            if (selected.length > MAX_BULK) {
              throw badRequest('SELECTION_TOO_LARGE', `the query selects more than ${MAX_BULK} messages; narrow it`, [
                { path: 'body.query', message: `more than ${MAX_BULK} messages` },
              ]);
            }
          } while (cursor);
        }
        const ports = new Set(
          configItems(db, { kind: 'send-port' })
            .filter((p) => p.enabled)
            .map((p) => p.name),
        );
        return { ids: [...new Set([...(body.messageIds ?? []), ...selected.reverse()])], knownPorts: ports };
      });
      // Checked before anything is written, so a bad port sends nothing at all.
      if (body.toPort !== undefined && !knownPorts.has(body.toPort)) {
        throw badRequest('UNKNOWN_PORT', `send port "${body.toPort}" does not exist or is disabled`, [
          { path: 'body.toPort', message: 'no such enabled send port' },
        ]);
      }
      const items = await replayMessages(context.store, {
        replayId: body.replayId,
        messageIds: ids,
        ...(body.toPort === undefined ? {} : { toPort: body.toPort }),
        knownPorts,
        actor: principal!.actor,
        dryRun: body.dryRun,
      });
      const counts: Record<string, number> = {};
      for (const item of items) counts[item.status] = (counts[item.status] ?? 0) + 1;
      return { replayId: body.replayId, dryRun: body.dryRun, counts, items, actor: principal!.actor };
    },
  });
}
