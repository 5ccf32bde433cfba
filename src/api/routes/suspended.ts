import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { groupSuspended, listSuspended, type SuspendedFilter } from '../../projections/queries/index.js';
import type { ApiContext } from '../context.js';
import { isoTime, pageOf, pageQueryFields } from '../schemas.js';
import { withViews } from '../views.js';
import { routeAdder } from './route-adder.js';

const groupings = { error: 'errorCode', port: 'port', location: 'receiveLocation', stage: 'stage' } as const;
const SAMPLE = 10;

const suspendedItemSchema = z.object({
  messageId: z.string(),
  port: z.string().nullable().meta({ description: 'null when the whole message is suspended' }),
  stage: z.string(),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean().nullable() }),
  receiveLocation: z.string().nullable(),
  nextAttempt: z.number().nullable(),
  suspendedAt: isoTime,
  position: z.number(),
});

const listQuery = z.strictObject({
  error: z.string().min(1).optional().meta({ description: 'only this error code' }),
  port: z.string().min(1).optional().meta({ description: 'only this send port' }),
  wholeMessage: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: only messages suspended as a whole (receive or route stage)' }),
  location: z.string().min(1).optional(),
  stage: z.string().min(1).optional(),
  ...pageQueryFields,
});

export function suspendedRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/api/v1/suspended',
    summary: 'Suspended messages grouped by error, port, receive location or stage, largest group first',
    tags: ['suspended'],
    role: 'viewer',
    query: z.strictObject({ by: z.enum(['error', 'port', 'location', 'stage']).default('error') }),
    response: z.object({
      by: z.string(),
      groups: z.array(
        z.object({
          key: z.string().nullable().meta({ description: 'null in port groups: messages suspended as a whole' }),
          count: z.number(),
          oldestAt: isoTime,
          newestAt: isoTime,
          sample: z.array(z.string()).meta({ description: `up to ${SAMPLE} message ids of the group` }),
        }),
      ),
    }),
    handler: async ({ query }) =>
      withViews(context, ['suspended'], (db) => {
        const by = groupings[query.by];
        const groups = groupSuspended(db, by).map((group) => {
          const filter: SuspendedFilter =
            by === 'errorCode'
              ? { errorCode: group.key ?? '' }
              : by === 'port'
                ? { port: group.key }
                : by === 'receiveLocation'
                  ? { receiveLocation: group.key ?? '' }
                  : { stage: group.key ?? '' };
          const sample = listSuspended(db, filter, { limit: SAMPLE }).items.map((i) => i.messageId);
          return { ...group, sample };
        });
        return { by: query.by, groups };
      }),
  });

  add({
    method: 'GET',
    url: '/api/v1/suspended/list',
    summary: 'Suspended messages and sends, latest suspension first',
    tags: ['suspended'],
    role: 'viewer',
    query: listQuery,
    response: pageOf(suspendedItemSchema),
    handler: async ({ query }) =>
      withViews(context, ['suspended'], (db) => {
        const filter: SuspendedFilter = {
          ...(query.error ? { errorCode: query.error } : {}),
          ...(query.port ? { port: query.port } : query.wholeMessage === 'true' ? { port: null } : {}),
          ...(query.location ? { receiveLocation: query.location } : {}),
          ...(query.stage ? { stage: query.stage } : {}),
        };
        const page = listSuspended(db, filter, {
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return { items: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
  });
}
