import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tokenRoleSchema } from '../../domain/events/index.js';
import type { ApiContext } from '../context.js';
import { isoTime } from '../schemas.js';
import { routeAdder } from './route-adder.js';

export const tokenNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@-]{1,100}$/, 'letters, digits, . _ @ - only, at most 100')
  .meta({ description: 'names the token; its actions are recorded as token:<name>' });

const tokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: tokenRoleSchema,
  createdAt: isoTime,
  createdBy: z.string(),
  revokedAt: isoTime.nullable(),
  revokedBy: z.string().nullable(),
});

export function tokenRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'POST',
    url: '/api/v1/tokens',
    summary: 'Issue an API token; the answer is the only place the token is ever shown',
    tags: ['tokens'],
    role: 'admin',
    body: z.strictObject({ name: tokenNameSchema, role: tokenRoleSchema }),
    response: tokenInfoSchema.extend({ token: z.string().meta({ description: 'shown once; store it now' }) }),
    status: 201,
    errors: [409],
    handler: async ({ body, principal }) => {
      const { info, token } = await context.tokens.issue(body.name, body.role, principal!.actor);
      return { ...info, token };
    },
  });

  add({
    method: 'GET',
    url: '/api/v1/tokens',
    summary: 'Every token issued, revoked ones included (never the token itself)',
    tags: ['tokens'],
    role: 'admin',
    response: z.object({ items: z.array(tokenInfoSchema) }),
    handler: async () => ({ items: await context.tokens.list() }),
  });

  add({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    summary: 'Revoke a token',
    tags: ['tokens'],
    role: 'admin',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    response: tokenInfoSchema,
    errors: [404, 409],
    handler: async ({ params, principal }) => context.tokens.revoke(params.id, principal!.actor),
  });
}
