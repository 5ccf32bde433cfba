import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { ViewLag } from '../metrics/view-lag.js';
import { routeAdder } from './route-adder.js';

const readyAnswer = z.object({
  status: z.enum(['ready', 'not-ready']),
  head: z.string().meta({ description: 'the store’s newest position' }),
  views: z.record(z.string(), z.number()).meta({ description: 'events each operator view is behind' }),
  reasons: z.array(z.string()),
});

export function healthRoutes(
  app: FastifyInstance,
  context: ApiContext,
  options: { viewLag: ViewLag; maxLag: number },
): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/health/live',
    summary: 'The process is up',
    tags: ['health'],
    role: null,
    response: z.object({ status: z.literal('live') }),
    handler: async () => ({ status: 'live' as const }),
  });

  add({
    method: 'GET',
    url: '/health/ready',
    summary: 'The store answers and the operator views are within the lag bound',
    description: '503 with the reasons when not ready.',
    tags: ['health'],
    role: null,
    response: readyAnswer,
    errors: [503],
    handler: async ({ reply }) => {
      const reasons: string[] = [];
      let head = 0n;
      let views: Record<string, number> = {};
      try {
        head = await context.store.headPosition();
        views = options.viewLag.lagAt(head);
        for (const [view, lag] of Object.entries(views)) {
          if (lag > options.maxLag) reasons.push(`view ${view} is ${lag} events behind (bound ${options.maxLag})`);
        }
      } catch (error) {
        // The error's text may carry a connection string: name only its code.
        reasons.push(`the event store did not answer (${(error as { code?: string }).code ?? 'error'})`);
      }
      const ready = reasons.length === 0;
      void reply.code(ready ? 200 : 503);
      return reply.send({ status: ready ? 'ready' : 'not-ready', head: head.toString(), views, reasons });
    },
  });
}
