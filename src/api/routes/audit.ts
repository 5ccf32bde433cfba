import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { configKindSchema } from '../../domain/events/index.js';
import { auditLog, configItems, type AuditFilter } from '../../projections/queries/index.js';
import type { ApiContext } from '../context.js';
import { isoTime, pageOf, pageQueryFields } from '../schemas.js';
import { withViews } from '../views.js';
import { routeAdder } from './route-adder.js';

const auditEntrySchema = z.object({
  position: z.number(),
  at: isoTime,
  actor: z.string().meta({ description: 'user:<name>, token:<name>, host:…' }),
  action: z.string().meta({ description: 'the event type: MessageResumed, ConfigDefined, TokenIssued, …' }),
  targetKind: z.string(),
  target: z.string(),
  streamId: z.string(),
  detail: z.unknown(),
});

const time = z.iso.datetime({ offset: true });

const configItemSchema = z.object({
  kind: configKindSchema,
  name: z.string(),
  definition: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  createdAt: isoTime,
  definedAt: isoTime,
  definedBy: z.string(),
  changedAt: isoTime,
  changedBy: z.string(),
});

function pageRequest(query: { limit?: number | undefined; cursor?: string | undefined }) {
  return {
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

export function auditRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'The audit log: who did what (operator actions and configuration changes), newest first',
    tags: ['audit'],
    role: 'viewer',
    query: z.strictObject({
      actor: z.string().min(1).optional(),
      action: z.string().min(1).optional(),
      targetKind: z.string().min(1).optional(),
      target: z.string().min(1).optional(),
      from: time.optional().meta({ description: 'recorded at or after' }),
      to: time.optional().meta({ description: 'recorded before' }),
      ...pageQueryFields,
    }),
    response: pageOf(auditEntrySchema),
    handler: async ({ query }) =>
      withViews(context, ['audit-log'], (db) => {
        const filter: AuditFilter = {
          ...(query.actor ? { actor: query.actor } : {}),
          ...(query.action ? { action: query.action } : {}),
          ...(query.targetKind ? { targetKind: query.targetKind } : {}),
          ...(query.target ? { target: query.target } : {}),
          ...(query.from ? { from: new Date(query.from) } : {}),
          ...(query.to ? { before: new Date(query.to) } : {}),
        };
        const page = auditLog(db, filter, pageRequest(query));
        return { items: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
  });

  add({
    method: 'GET',
    url: '/api/v1/config/items',
    summary:
      'The live configuration items (hosts, receive locations, send ports, subscriptions) with who last changed them',
    tags: ['config'],
    role: 'viewer',
    query: z.strictObject({ kind: configKindSchema.optional() }),
    response: z.object({ items: z.array(configItemSchema) }),
    handler: async ({ query }) =>
      withViews(context, ['config'], (db) => ({
        items: configItems(db, query.kind ? { kind: query.kind } : {}),
      })),
  });

  add({
    method: 'GET',
    url: '/api/v1/config/history',
    summary: 'Configuration changes with their actor and time, newest first',
    description: 'Give kind and name for one item’s history; kind alone filters the page it reads.',
    tags: ['config'],
    role: 'viewer',
    query: z
      .strictObject({ kind: configKindSchema.optional(), name: z.string().min(1).optional(), ...pageQueryFields })
      .refine((q) => q.name === undefined || q.kind !== undefined, { message: 'name needs kind', path: ['name'] }),
    response: pageOf(auditEntrySchema),
    handler: async ({ query }) =>
      withViews(context, ['audit-log'], (db) => {
        const filter: AuditFilter = {
          targetKind: 'config',
          ...(query.kind && query.name ? { target: `${query.kind}/${query.name}` } : {}),
        };
        const page = auditLog(db, filter, pageRequest(query));
        const items =
          query.kind && !query.name ? page.items.filter((e) => e.target.startsWith(`${query.kind}/`)) : page.items;
        return { items: [...items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
  });
}
