import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { currentLeases, hostInstances, leaseHistory } from '../../projections/queries/index.js';
import type { ApiContext } from '../context.js';
import { isoTime, pageOf, pageQueryFields } from '../schemas.js';
import { withViews } from '../views.js';
import { routeAdder } from './route-adder.js';

const leaseSchema = z.object({
  resource: z.string(),
  holder: z.string().meta({ description: 'the holding instance; when released, the last one' }),
  term: z.number(),
  released: z.boolean(),
  since: isoTime.nullable(),
  lastRenewal: isoTime.nullable(),
  ttlMs: z.number().nullable(),
  releasedAt: isoTime.nullable(),
  releaseReason: z.string().nullable(),
});

const leaseChangeSchema = z.object({
  resource: z.string(),
  position: z.number(),
  term: z.number(),
  at: isoTime,
  event: z.enum(['acquired', 'taken-over', 'released']),
  holder: z.string(),
  previousHolder: z.string().nullable(),
  reason: z.string().nullable(),
});

const hostSchema = z.object({
  host: z.string(),
  instance: z.string(),
  pid: z.number(),
  hostname: z.string(),
  version: z.string(),
  startedAt: isoTime,
  state: z.enum(['started', 'lost', 'stopped']).meta({
    description: 'lost: no stop recorded and no heartbeat for three heartbeat intervals (killed, hung or cut off)',
  }),
  lastSeenAt: isoTime.nullable().meta({ description: 'its latest heartbeat' }),
  heartbeatMs: z.number().nullable(),
  stoppedAt: isoTime.nullable(),
  stopReason: z.string().nullable(),
  leases: z.array(z.string()).meta({ description: 'the resources whose lease the instance holds now' }),
});

export function leaseRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/api/v1/leases',
    summary: 'Every lease: its holder and term',
    tags: ['leases'],
    role: 'viewer',
    response: z.object({ items: z.array(leaseSchema) }),
    handler: async () => withViews(context, ['leases'], (db) => ({ items: currentLeases(db) })),
  });

  add({
    method: 'GET',
    url: '/api/v1/leases/:resource/history',
    summary: 'Who held a lease: acquisitions, takeovers (failovers) and releases, newest first',
    tags: ['leases'],
    role: 'viewer',
    params: z.strictObject({ resource: z.string().min(1) }),
    query: z.strictObject(pageQueryFields),
    response: pageOf(leaseChangeSchema),
    handler: async ({ params, query }) =>
      withViews(context, ['leases'], (db) => {
        const page = leaseHistory(db, params.resource, {
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return { items: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
  });

  add({
    method: 'GET',
    url: '/api/v1/hosts',
    summary:
      'Host instances (worker processes): when they started, were last seen alive and stopped, and the leases they hold',
    tags: ['leases'],
    role: 'viewer',
    response: z.object({ items: z.array(hostSchema) }),
    handler: async () => {
      return withViews(context, ['leases', 'hosts'], (db) => {
        const held = new Map<string, string[]>();
        for (const lease of currentLeases(db)) {
          if (lease.released) continue;
          held.set(lease.holder, [...(held.get(lease.holder) ?? []), lease.resource]);
        }
        const instances = hostInstances(db, new Date());
        return { items: instances.map((i) => ({ ...i, leases: held.get(i.instance) ?? [] })) };
      });
    },
  });
}
