import { z } from 'zod';
import { defineEvent, messageId, nonEmpty } from './define.js';

/** Fenced claims written by the single active receiver of a location before it fetches. */
export const FileClaimed = defineEvent(
  'FileClaimed',
  1,
  z.object({
    location: nonEmpty,
    path: nonEmpty,
    size: z.number().int().nonnegative(),
    mtime: z.string(),
    messageId,
  }),
);

export const FileCompleted = defineEvent(
  'FileCompleted',
  1,
  z.object({
    location: nonEmpty,
    path: nonEmpty,
    messageId,
    action: z.enum(['deleted', 'moved', 'left']),
    archivePath: z.string().optional(),
  }),
);

export const MailClaimed = defineEvent('MailClaimed', 1, z.object({ location: nonEmpty, uidl: nonEmpty, messageId }));

export const MailCompleted = defineEvent(
  'MailCompleted',
  1,
  z.object({ location: nonEmpty, uidl: nonEmpty, messageId }),
);

export const QueueMessageClaimed = defineEvent(
  'QueueMessageClaimed',
  1,
  z.object({ location: nonEmpty, queue: nonEmpty, sourceId: nonEmpty, messageId }),
);

export const QueueMessageCompleted = defineEvent(
  'QueueMessageCompleted',
  1,
  z.object({ location: nonEmpty, queue: nonEmpty, sourceId: nonEmpty, messageId }),
);

/**
 * The claims open at this point of a location stream, copied by its holder: a new holder reads the
 * stream back to the latest of these instead of from the start, so taking over a location costs
 * the events since then, not its whole history.
 */
export const ClaimsCheckpointed = defineEvent(
  'ClaimsCheckpointed',
  1,
  z.object({
    open: z.array(z.discriminatedUnion('type', [FileClaimed.schema, MailClaimed.schema, QueueMessageClaimed.schema])),
  }),
);
