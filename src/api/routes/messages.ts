import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EventData } from '../../domain/events/index.js';
import { streams } from '../../domain/streams.js';
import { findMessages, getMessage } from '../../projections/queries/index.js';
import { BlobNotFound } from '../../store/blob/errors.js';
import type { RecordedEvent } from '../../store/event-store.js';
import { openBody } from '../../workers/message-body.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../errors.js';
import { withViews } from '../views.js';
import { pageOf, pageQueryFields } from '../schemas.js';
import { selectionFields, selectionViews, toMessageFilter } from '../selection.js';
import { messageDetailSchema, messageSummarySchema } from './message-schemas.js';
import { routeAdder } from './route-adder.js';
import { timelineEntry } from './timeline.js';

export const messageIdParams = z.strictObject({ id: z.string().min(1).max(200) });

const searchQuery = z
  .strictObject({ ...selectionFields, ...pageQueryFields })
  .refine((q) => q.portStatus === undefined || q.port !== undefined, {
    message: 'portStatus needs port',
    path: ['portStatus'],
  });

type Received = RecordedEvent & { type: 'MessageReceived'; data: EventData<'MessageReceived'> };

function receivedIn(events: readonly RecordedEvent[]): Received | undefined {
  return events.find((e): e is Received => e.type === 'MessageReceived');
}

export function messageRoutes(app: FastifyInstance, context: ApiContext): void {
  const add = routeAdder(app, context);

  add({
    method: 'GET',
    url: '/api/v1/messages',
    summary: 'Search tracked messages, newest receipt first',
    tags: ['messages'],
    role: 'viewer',
    query: searchQuery,
    response: pageOf(messageSummarySchema),
    handler: async ({ query }) => {
      const { limit, cursor, ...selection } = query;
      return withViews(context, selectionViews, (db) => {
        const page = findMessages(db, toMessageFilter(selection), {
          ...(limit === undefined ? {} : { limit }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        return { items: [...page.items], ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      });
    },
  });

  add({
    method: 'GET',
    url: '/api/v1/messages/:id',
    summary: 'One message: status, sends, context properties and every event of its flow',
    tags: ['messages'],
    role: 'viewer',
    params: messageIdParams,
    response: messageDetailSchema,
    errors: [404],
    handler: async ({ params }) => {
      const events = await context.store.readStream(streams.message(params.id));
      const received = receivedIn(events);
      const detail = await withViews(context, ['tracking'], (db) => getMessage(db, params.id));
      if (!received || !detail) throw notFound('MESSAGE_NOT_FOUND', `no message ${params.id}`);
      const { body, parts, contentType, context: properties } = received.data;
      return {
        message: detail.message,
        ports: [...detail.ports],
        context: properties,
        body: {
          contentType: contentType ?? null,
          size: body.size,
          sha256: body.sha256,
          storedIn: body.kind,
          parts: (parts ?? []).map((p) => ({ name: p.name, contentType: p.contentType ?? null, size: p.body.size })),
        },
        timeline: events.map(timelineEntry),
      };
    },
  });

  add({
    method: 'GET',
    url: '/api/v1/messages/:id/body',
    summary: 'The message body, streamed with its content type (large bodies from the blob store)',
    tags: ['messages'],
    role: 'viewer',
    params: messageIdParams,
    produces: 'application/octet-stream',
    errors: [404],
    handler: async ({ params, reply }) => {
      const received = receivedIn(await context.store.readStream(streams.message(params.id), { maxCount: 1 }));
      if (!received) throw notFound('MESSAGE_NOT_FOUND', `no message ${params.id}`);
      const { body, contentType } = received.data;
      let stream;
      try {
        stream = await openBody(body, context.blobs);
      } catch (error) {
        if (error instanceof BlobNotFound) {
          throw notFound('BODY_NOT_FOUND', `the body of message ${params.id} is no longer in the blob store`);
        }
        throw error;
      }
      return reply
        .type(contentType ?? 'application/octet-stream')
        .header('content-length', body.size)
        .header('x-content-sha256', body.sha256)
        .send(stream);
    },
  });
}
