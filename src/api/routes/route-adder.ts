import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { ApiContext } from '../context.js';
import { addRoute, type RouteDefinition } from '../route.js';

/** `addRoute` bound to one app and its token check. */
export function routeAdder(app: FastifyInstance, context: Pick<ApiContext, 'authenticate' | 'checkAnswers'>) {
  return <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
    definition: RouteDefinition<P, Q, B, R>,
  ): void => addRoute(app, context.authenticate, definition, { checkAnswers: context.checkAnswers });
}
