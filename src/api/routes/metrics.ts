import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import { routeAdder } from './route-adder.js';

export function metricsRoutes(
  app: FastifyInstance,
  context: ApiContext,
  options: { metrics: EngineMetrics; tokenFree: boolean },
): void {
  routeAdder(
    app,
    context,
  )({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics: messages received, sent, failed and suspended, send latency, view lag, leases',
    tags: ['health'],
    role: options.tokenFree ? null : 'viewer',
    produces: 'text/plain; version=0.0.4',
    handler: async ({ reply }) => {
      const text = await options.metrics.registry.metrics();
      return reply.type(options.metrics.registry.contentType).send(text);
    },
  });
}
