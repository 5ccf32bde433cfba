import { z } from 'zod';
import { portStatuses, trackingStatuses } from '../../projections/views/tracking-schema.js';
import { errorSummary, isoTime, propertyValue } from '../schemas.js';

export const messageSummarySchema = z.object({
  messageId: z.string(),
  status: z.enum(trackingStatuses),
  receiveLocation: z.string(),
  receivePort: z.string().nullable(),
  adapter: z.string(),
  sourceKey: z.string().nullable(),
  batchId: z.string().nullable(),
  receivedAt: isoTime,
  completedAt: isoTime.nullable(),
  attempts: z.number(),
  lastError: errorSummary.nullable(),
  suspendedStage: z.string().nullable(),
  replayOf: z.string().nullable(),
  replayId: z.string().nullable(),
  requestMessageId: z.string().nullable(),
  replyMessageId: z.string().nullable(),
  updatedAt: isoTime,
});

export const messageSendSchema = z.object({
  port: z.string(),
  status: z.enum(portStatuses),
  previousStatus: z.enum(portStatuses).nullable(),
  attempts: z.number(),
  transport: z.string().nullable(),
  address: z.string().nullable(),
  lastError: errorSummary.nullable(),
  nextRetryAt: isoTime.nullable(),
  sentAt: isoTime.nullable(),
  updatedAt: isoTime,
});

export const timelineEntrySchema = z.object({
  revision: z.number().meta({ description: 'the event’s place in the message’s stream' }),
  position: z.number().meta({ description: 'the event’s global position' }),
  type: z.string(),
  at: isoTime,
  actor: z.string(),
  port: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

export const messageDetailSchema = z.object({
  message: messageSummarySchema,
  ports: z.array(messageSendSchema),
  context: z.object({
    promoted: z.record(z.string(), propertyValue),
    written: z.record(z.string(), propertyValue),
  }),
  body: z.object({
    contentType: z.string().nullable(),
    size: z.number(),
    sha256: z.string(),
    storedIn: z.enum(['inline', 'blob']),
    parts: z.array(z.object({ name: z.string(), contentType: z.string().nullable(), size: z.number() })),
  }),
  timeline: z.array(timelineEntrySchema).meta({ description: 'every event of the message, oldest first' }),
});
