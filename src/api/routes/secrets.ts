import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { secretName } from '../../domain/config/index.js';
import type { SecretStore } from '../../workers/secrets/secret-store.js';
import type { ApiContext } from '../context.js';
import { isoTime } from '../schemas.js';
import { routeAdder } from './route-adder.js';

/** The secrets routes: values go in, never out (not in answers, not in errors, not in logs). */
export function secretRoutes(app: FastifyInstance, context: ApiContext, secrets: () => Promise<SecretStore>): void {
  const add = routeAdder(app, context);

  add({
    method: 'PUT',
    url: '/api/v1/secrets/:name',
    summary: 'Set a secret (a new version, sealed with the master key); the value is never answered',
    tags: ['secrets'],
    role: 'admin',
    params: z.strictObject({ name: secretName }),
    body: z.strictObject({
      value: z.string().min(1).max(65_536).meta({ description: 'the secret value; write-only' }),
    }),
    response: z.object({ name: z.string(), version: z.number() }),
    errors: [503],
    handler: async ({ params, body, principal }) => (await secrets()).set(params.name, body.value, principal!.actor),
  });

  add({
    method: 'GET',
    url: '/api/v1/secrets',
    summary: 'Every secret: name, version, when and by whom it was set (never values)',
    tags: ['secrets'],
    role: 'admin',
    response: z.object({
      items: z.array(
        z.object({
          name: z.string(),
          version: z.number(),
          updatedAt: isoTime,
          updatedBy: z.string(),
          keyId: z.string(),
        }),
      ),
    }),
    handler: async () => ({ items: await (await secrets()).list() }),
  });
}
