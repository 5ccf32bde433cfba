import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SchemaViolation } from '../../domain/errors.js';
import { exportBindings, importBindings } from '../../workers/config/bindings-io.js';
import type { ApiContext } from '../context.js';
import { badRequest } from '../errors.js';
import { routeAdder } from './route-adder.js';

const diffEntrySchema = z.object({
  kind: z.string(),
  name: z.string(),
  change: z.enum(['added', 'changed', 'removed']),
  fields: z.array(z.string()).optional().meta({ description: 'for changed items: the fields that differ' }),
});

const bindingsDocument = z.record(z.string(), z.unknown()).meta({
  description:
    'a bindings document (hosts, receiveLocations, sendPorts, subscriptions); credentials as { "secret": "<name>" }',
});

export function configRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/api/v1/config',
    summary: 'The live configuration as a bindings document (secrets only as references)',
    tags: ['config'],
    role: 'viewer',
    response: z.object({ bindings: bindingsDocument }),
    handler: async () => ({ bindings: (await exportBindings(context.store)) as unknown as Record<string, unknown> }),
  });

  add({
    method: 'PUT',
    url: '/api/v1/config',
    summary: 'Replace the configuration with a bindings document (dry run: the diff only)',
    description:
      'Checked whole first (schema, adapter settings, filters, pipelines): any bad field refuses it all with 400 and every bad field’s path. Only the differences are written, each as a configuration event carrying the token as actor.',
    tags: ['config'],
    role: 'admin',
    body: z.strictObject({ bindings: z.unknown(), dryRun: z.boolean().default(false) }),
    response: z.object({ diff: z.array(diffEntrySchema), applied: z.boolean() }),
    errors: [409],
    handler: async ({ body, principal }) => {
      try {
        const result = await importBindings(context.store, context.registry, body.bindings, {
          actor: principal!.actor,
          dryRun: body.dryRun,
          source: 'bindings',
        });
        const diff = result.diff.map(({ fields, ...entry }) => ({
          ...entry,
          ...(fields ? { fields: [...fields] } : {}),
        }));
        return { diff, applied: result.applied };
      } catch (error) {
        if (!(error instanceof SchemaViolation)) throw error;
        const issues = error.issues.map((i) => ({
          path: i.path ? `body.bindings.${i.path}` : 'body.bindings',
          message: i.message,
        }));
        throw badRequest(
          'INVALID_BINDINGS',
          `the bindings are invalid: ${issues.map((i) => i.path).join(', ')}`,
          issues,
        );
      }
    },
  });
}
