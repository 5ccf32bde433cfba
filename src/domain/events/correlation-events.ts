import { z } from 'zod';
import { defineEvent, messageId, nonEmpty } from './define.js';

export const CorrelationInitialized = defineEvent(
  'CorrelationInitialized',
  1,
  z.object({
    set: nonEmpty,
    key: nonEmpty,
    messageId,
    port: z.string().optional(),
    /** Who made the key: the engine, or the transport (an MQ MsgId that becomes the reply's CorrelId). */
    keySource: z.enum(['engine', 'transport']),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  }),
);

export const CorrelationFollowed = defineEvent(
  'CorrelationFollowed',
  1,
  z.object({ set: nonEmpty, key: nonEmpty, messageId, requestMessageId: messageId }),
);
