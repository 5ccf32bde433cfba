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
});

export type SendWork = z.infer<typeof SendWork>;

/** The de-duplication key: publishing the same key twice within the dedup window delivers once. */
export function dedupKey(work: Pick<SendWork, 'messageId' | 'port' | 'attempt'>): string {
  return `${work.messageId}:${work.port}:${work.attempt}`;
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
