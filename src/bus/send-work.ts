import { z } from 'zod';
import { SchemaViolation } from '../domain/errors.js';

const isoTime = z.iso.datetime({ offset: true });

/**
 * One unit of send work: deliver message `messageId` through send port `port`, try number
 * `attempt`. Unknown fields are dropped rather than refused, so a newer dispatcher can add fields
 * while older workers are still draining the queue.
 */
export const SendWork = z.object({
  messageId: z.string().min(1).max(200),
  port: z.string().min(1).max(200),
  /** 1 for the first try; a retry is new work with the next attempt (and so a new dedup key). */
  attempt: z.number().int().min(1),
  enqueuedAt: isoTime,
  /** Not to be delivered before this time: how a retry interval is honoured. */
  notBefore: isoTime.optional(),
  /**
   * Set when the reconciler publishes an attempt's work again because the queue may have lost it:
   * a new number each time, so the dedup key differs and the queue cannot drop the new copy as a
   * duplicate of the lost one. Workers ignore it (the claim decides who sends).
   */
  reissue: z.number().int().min(1).optional(),
});

export type SendWork = z.infer<typeof SendWork>;

/**
 * The de-duplication key, `messageId:port:attempt` (`:r<reissue>` added for a reissue): publishing
 * the same key twice within the dedup window delivers once.
 */
export function dedupKey(work: Pick<SendWork, 'messageId' | 'port' | 'attempt' | 'reissue'>): string {
  const key = `${work.messageId}:${work.port}:${work.attempt}`;
  return work.reissue === undefined ? key : `${key}:r${work.reissue}`;
}

/** Validates send work, refusing it with the path of every bad field. */
export function parseSendWork(value: unknown, subject = 'send work'): SendWork {
  const result = SendWork.safeParse(value);
  if (result.success) return result.data;
  throw new SchemaViolation(
    subject,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
