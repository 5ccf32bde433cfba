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

/**
 * Where the sender of an ordered port had got to: it had moved past every entry before
 * `nextSequence` (sent, terminated, or suspended under order with suspend). A new holder loads
 * the backlog from here instead of from the start of the stream.
 */
export const BacklogCheckpointed = defineEvent(
  'BacklogCheckpointed',
  1,
  z.object({
    port: nonEmpty,
    nextSequence: z.number().int().nonnegative(),
    /** Global position up to which routing events had been looked at. */
    routedAt: z.string().regex(/^\d+$/),
  }),
);
