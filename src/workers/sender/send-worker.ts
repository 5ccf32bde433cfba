import type { Logger } from '../logger.js';
import { Capacity, type Slots } from '../../bus/capacity.js';
import { dedupKey } from '../../bus/send-work.js';
import type { WorkDelivery, WorkQueue } from '../../bus/work-queue.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore } from '../../store/event-store.js';
import { knownAfter, runMessageCommand, type CommandOutcome } from '../message-commands.js';
import { receivedOf, recordSendResult, sendAttempt, WORKER_LOST, type SendResult } from './deliver.js';
import { publishRetry } from './publish-retry.js';
import type { SendPorts } from './send-ports.js';
import type { Conversations } from '../correlation/conversations.js';

export interface SendWorkerOptions {
  readonly store: EventStore;
  readonly queue: WorkQueue;
  readonly ports: SendPorts;
  readonly blobs: BlobStore;
  /** This worker's identity in `SendClaimed` and as the actor of what it writes. */
  readonly worker: string;
  /** Sends in progress at once. Default 16. Ignored when `slots` is given. */
  readonly concurrency?: number;
  /** Send slots shared with the sends this instance starts at receipt. Default: `concurrency` of its own. */
  readonly slots?: Slots;
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

/** The default stale-claim time: twice the ack wait, so a send kept in progress is never taken for dead. */
export function defaultStaleClaimMs(ackWaitMs = 30_000): number {
  return 2 * ackWaitMs;
}

/**
 * A stateless send worker: takes send work from the queue, competes for it with every other
 * worker through a `SendClaimed` append (only the one that appends at the revision it read wins),
 * sends, and records `MessageSent` or `SendFailed` (and, when the port gives up, the suspension)
 * at the claim's revision.
 */
export class SendWorker {
  private readonly now: () => Date;
  private readonly slots: Slots;

  constructor(private readonly options: SendWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.slots = options.slots ?? new Capacity(options.concurrency ?? 16);
  }

  async run(signal: AbortSignal): Promise<void> {
    const running = new Set<Promise<void>>();
    for await (const delivery of this.options.queue.consume({ signal, capacity: this.slots })) {
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
    // The attempt's key, the same for a reissue of its work.
    const causationId = dedupKey({ messageId: work.messageId, port: work.port, attempt: work.attempt });

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
        return this.abandonedClaim(delivery, claim, actor, causationId);
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
      // The send is over; recording it must not hold up other sends (a solicit-response reply,
      // received while recording, may start its own send in this slot).
      delivery.releaseSlot();
    }
    const now = this.now();
    const recorded = await recordSendResult(this.options.store, this.options.ports, work, result, {
      actor,
      causationId,
      now,
      known: knownAfter(claim),
      ...(this.options.conversations ? { conversations: this.options.conversations } : {}),
    });
    await publishRetry(this.options.queue, work, recorded.decision, now);
    await delivery.ack();
  }

  /**
   * The work of a claimed attempt came back. If the claim is old, its worker is gone: record the
   * attempt as failed (`WORKER_LOST`, which does not use up a retry) so the port's retries take
   * over. If it is recent, the worker may still be sending: look again once the claim would be
   * stale. Claims made at receipt have no work item of their own: the dispatcher's reconciler
   * publishes one when they are stale.
   */
  private async abandonedClaim(
    delivery: WorkDelivery,
    claim: CommandOutcome,
    actor: string,
    causationId: string,
  ): Promise<void> {
    const { work } = delivery;
    const claimed = claim.events.findLast((e) => e.type === 'SendClaimed' && e.data.port === work.port);
    const staleAfter = this.options.staleClaimMs ?? defaultStaleClaimMs(this.options.ackWaitMs);
    const age = this.now().getTime() - (claimed?.recordedAt.getTime() ?? 0);
    if (age < staleAfter) return delivery.nack(staleAfter - age);
    const now = this.now();
    const result = await recordSendResult(
      this.options.store,
      this.options.ports,
      work,
      {
        ok: false,
        durationMs: 0,
        error: {
          code: WORKER_LOST,
          message: `the worker that claimed attempt ${work.attempt} stopped answering`,
          retryable: true,
        },
      },
      { actor, causationId, now, known: knownAfter(claim) },
    );
    await publishRetry(this.options.queue, work, result.decision, now);
    await delivery.ack();
  }
}
