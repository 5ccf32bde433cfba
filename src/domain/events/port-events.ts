import { z } from 'zod';
import { defineEvent, messageId, nonEmpty } from './define.js';

/** The ordered backlog of a send port: one entry per routed message, in sequence. */
export const MessageEnqueued = defineEvent(
  'MessageEnqueued',
  1,
  z.object({
    port: nonEmpty,
    messageId,
    sequence: z.number().int().nonnegative(),
    /** Global position of the event that routed it, so a new holder resumes enqueuing after it. */
    routedAt: z.string().regex(/^\d+$/),
  }),
);
