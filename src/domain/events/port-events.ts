import { z } from 'zod';
import { defineEvent, messageId, nonEmpty } from './define.js';

/** The ordered backlog of a send port: one entry per routed message, in sequence. */
export const MessageEnqueued = defineEvent(
  'MessageEnqueued',
  1,
  z.object({ port: nonEmpty, messageId, sequence: z.number().int().nonnegative() }),
);
