import type { Logger } from '../logger.js';
import { dedupKey, type SendWork } from '../../bus/send-work.js';
import type { WorkDelivery, WorkQueue } from '../../bus/work-queue.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { runMessageCommand } from '../message-commands.js';
import type { Decision } from '../../domain/message/index.js';
import { receivedOf, recordSendResult, sendAttempt, type SendResult } from './deliver.js';
import type { SendPorts } from './send-ports.js';
import type { Conversations } from '../correlation/conversations.js';

export interface SendWorkerOptions {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly ports: SendPorts;
  readonly blobs: BlobStore;
  /** This worker's identity in `SendClaimed` and as the actor of what it writes. */
  readonly worker: string;
  /** Sends in progress at once. Default 16. */
  readonly concurrency?: number;
  /** The queue's ack wait; long sends report progress every third of it. Default 30 s. */
  readonly ackWaitMs?: number;
  /**
   * A claim older than this whose work comes back means its worker died mid-send: the attempt is
   * recorded as failed (`WORKER_LOST`) and retried. Default twice the ack wait.
   */
  readonly staleClaimMs?: number;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly conversations?: Conversations;
}

/**
 * A stateless send worker: takes send work from the queue, competes for it with every other
 * worker through a `SendClaimed` append (only the one that appends at the revision it read wins),
 * sends, and records `MessageSent` or `SendFailed` (and, when the port gives up, the suspension).
 */
export class SendWorker {
  private readonly now: () => Date;

  constructor(private readonly options: SendWorkerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async run(signal: AbortSignal): Promise<void> {
    const running = new Set<Promise<void>>();
    for await (const delivery of this.options.queue.consume({ signal, concurrency: this.options.concurrency ?? 16 })) {
      const task = this.handle(delivery, signal)
        .catch((error: unknown) => {
          this.options.logger.error({ err: error, work: delivery.work }, 'send work failed; it will come back');
          return delivery.nack(1000).catch(() => undefined);
        })
        .finally(() => running.delete(task));
      running.add(task);
    }
    await Promise.allSettled(running);
  }

  /** One delivery, start to end. */
  private async handle(delivery: WorkDelivery, signal: AbortSignal): Promise<void> {
    const { work } = delivery;
    const actor = `worker:${this.options.worker}`;
    const causationId = dedupKey(work);

    const claim = await runMessageCommand(
      this.options.store,
      work.messageId,
      () => ({
        type: 'ClaimSend',
        port: work.port,
        attempt: work.attempt,
        worker: this.options.worker,
        now: this.now(),
      }),
      { actor, causationId },
    );
    if (!claim.decision.ok) {
      const send = claim.state.sends[work.port];
      if (claim.decision.code === 'NOT_DUE') {
        return delivery.nack(Math.max(0, Date.parse(send?.nextRetryAt ?? '') - this.now().getTime()));
      }
      if (send?.status === 'claimed' && send.attempt === work.attempt) {
        return this.abandonedClaim(delivery, claim.events, actor, causationId);
      }
      // Stale or duplicate work (already sent, suspended, terminated, or a later attempt): done.
      return delivery.ack();
    }

    const transport = claim.state.sends[work.port]?.transport ?? 'primary';
    const progressEvery = (this.options.ackWaitMs ?? 30_000) / 3;
    const progress = setInterval(() => void delivery.inProgress().catch(() => undefined), progressEvery);
    let result: SendResult;
    try {
      result = await sendAttempt(
        this.options.ports,
        this.options.blobs,
        work,
        receivedOf(claim.events),
        transport,
        signal,
        this.options.conversations,
      );
    } finally {
      clearInterval(progress);
    }
    const recorded = await recordSendResult(this.options.store, this.options.ports, work, result, {
      actor,
      causationId,
      now: this.now(),
      ...(this.options.conversations ? { conversations: this.options.conversations } : {}),
    });
    await this.publishRetry(work, recorded.decision);
    await delivery.ack();
  }

  /**
   * The work of a claimed attempt came back. If the claim is old, its worker is gone: record the
   * attempt as failed so the port's retries take over. If it is recent, the worker may still be
   * sending: look again once the claim would be stale.
   */
  private async abandonedClaim(
    delivery: WorkDelivery,
    events: readonly RecordedEvent[],
    actor: string,
    causationId: string,
  ): Promise<void> {
    const { work } = delivery;
    const claimed = events.findLast((e) => e.type === 'SendClaimed' && e.data.port === work.port);
    const staleAfter = this.options.staleClaimMs ?? 2 * (this.options.ackWaitMs ?? 30_000);
    const age = this.now().getTime() - (claimed?.recordedAt.getTime() ?? 0);
    if (age < staleAfter) return delivery.nack(staleAfter - age);
    const port = this.options.ports.get(work.port);
    const result = await runMessageCommand(
      this.options.store,
      work.messageId,
      () => ({
        type: 'FailSend',
        port: work.port,
        attempt: work.attempt,
        error: {
          code: 'WORKER_LOST',
          message: `the worker that claimed attempt ${work.attempt} stopped answering`,
          retryable: true,
        },
        retry: port?.retry ?? { count: 0, intervalMs: 0, backoff: 'fixed', maxIntervalMs: 0 },
        hasBackup: port?.hasBackup ?? false,
        now: this.now(),
      }),
      { actor, causationId },
    );
    await this.publishRetry(work, result.decision);
    await delivery.ack();
  }

  private async publishRetry(work: SendWork, decision: Decision): Promise<void> {
    if (!decision.ok) return;
    const nextRetryAt = decision.events.find((e) => e.type === 'SendFailed')?.data.nextRetryAt;
    if (typeof nextRetryAt !== 'string') return;
    // The retry is new work with the next attempt; the dispatcher would publish it too.
    await this.options.queue.publish({
      messageId: work.messageId,
      port: work.port,
      attempt: work.attempt + 1,
      enqueuedAt: this.now().toISOString(),
      notBefore: nextRetryAt,
    });
  }
}
