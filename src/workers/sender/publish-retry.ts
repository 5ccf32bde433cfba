import type { SendWork } from '../../bus/send-work.js';
import type { WorkQueue } from '../../bus/work-queue.js';
import type { Decision } from '../../domain/message/index.js';

/**
 * Publishes the next attempt of a send that just failed with a retry (`SendFailed` with
 * `nextRetryAt`), held back until it is due. The dispatcher would publish it too, from its view;
 * this is the quick way, and the queue's dedup key makes the two one.
 */
export async function publishRetry(
  queue: WorkQueue,
  work: Pick<SendWork, 'messageId' | 'port' | 'attempt'>,
  decision: Decision,
  now: Date,
): Promise<void> {
  if (!decision.ok) return;
  const nextRetryAt = decision.events.find((e) => e.type === 'SendFailed')?.data.nextRetryAt;
  if (typeof nextRetryAt !== 'string') return;
  await queue.publish({
    messageId: work.messageId,
    port: work.port,
    attempt: work.attempt + 1,
    enqueuedAt: now.toISOString(),
    notBefore: nextRetryAt,
  });
}
