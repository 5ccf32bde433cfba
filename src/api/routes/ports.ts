import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { configItems, portCounts } from '../../projections/queries/index.js';
import type { ApiContext } from '../context.js';
import { withViews } from '../views.js';
import { routeAdder } from './route-adder.js';

const portSchema = z.object({
  port: z.string(),
  configured: z.boolean().meta({ description: 'defined in the live configuration' }),
  enabled: z.boolean(),
  adapter: z.string().nullable(),
  routed: z.number(),
  pending: z.number(),
  sending: z.number(),
  retrying: z.number(),
  sent: z.number(),
  suspended: z.number(),
  terminated: z.number(),
});

const zero = { routed: 0, pending: 0, sending: 0, retrying: 0, sent: 0, suspended: 0, terminated: 0 };

export function portRoutes(app: FastifyInstance, context: ApiContext): void {
  routeAdder(
    app,
    context,
  )({
    method: 'GET',
    url: '/api/v1/ports',
    summary: 'Every send port: configured or not, and its sends by status',
    tags: ['ports'],
    role: 'viewer',
    response: z.object({ items: z.array(portSchema) }),
    handler: async () =>
      withViews(context, ['tracking', 'config'], (db) => {
        const configured = new Map(configItems(db, { kind: 'send-port' }).map((p) => [p.name, p]));
        const counts = new Map(portCounts(db).map((c) => [c.port, c]));
        const names = [...new Set([...configured.keys(), ...counts.keys()])].sort();
        return {
          items: names.map((port) => {
            const item = configured.get(port);
            const adapter = item?.definition.adapter;
            return {
              ...zero,
              ...counts.get(port),
              port,
              configured: item !== undefined,
              enabled: item?.enabled ?? false,
              adapter: typeof adapter === 'string' ? adapter : null,
            };
          }),
        };
      }),
  });
}
