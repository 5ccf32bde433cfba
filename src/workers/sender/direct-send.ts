import type { Capacity } from '../../bus/capacity.js';
import { dedupKey } from '../../bus/send-work.js';
import type { WorkQueue } from '../../bus/work-queue.js';
import type { EventData } from '../../domain/events/index.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { Conversations } from '../correlation/conversations.js';
import type { Logger } from '../logger.js';
import type { KnownMessage } from '../message-commands.js';
import type { SendAtReceipt } from '../receiver/submit.js';
import { recordSendResult, sendAttempt } from './deliver.js';
import { publishRetry } from './publish-retry.js';
import type { SendPorts } from './send-ports.js';

export interface DirectSenderOptions {
  readonly store: EventStore;
  /** Where the retry of a failed send goes: retries, like resumes and recovery, use the queue. */
  readonly queue: WorkQueue;
  readonly ports: SendPorts;
  readonly blobs: BlobStore;
  /** This instance: the worker of the `SendClaimed` events and the actor of what it writes. */
  readonly worker: string;
  /** This instance's host: only ports of this host are sent at receipt. */
  readonly host: string;
  /** The instance's send slots, shared with its send worker's queue deliveries. */
  readonly slots: Capacity;
  /** Aborted when the instance stops: sends in progress are told to give up. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly conversations?: Conversations;
  readonly now?: () => Date;
}

/**
 * Sends at receipt. When a message is routed to an unordered, enabled port of this instance's host
 * and one of the instance's send slots is free, the receiver appends `SendClaimed` (attempt 1, this
 * worker) in the same append as `MessageReceived`, and the send starts at once, in the background,
 * through the same send path as queue work (pipeline, adapter, `recordSendResult`), recording its
 * outcome at the claim's revision without reading the stream. No work item is published for it,
 * and no other worker can claim it.
 *
 * Only free slots are taken, never waited for: when every slot is busy the receiver records just
 * `MessageReceived` and the dispatcher publishes the work, so receipt never waits behind slow
 * sends and a busy instance's sends spread over the other workers through the queue. A slot is
 * held from the claim until the adapter's send returns; recording the outcome holds none. Retries
 * go through the queue. A worker that dies between the claim and its record leaves a claim with
 * no work item: the dispatcher's reconciler publishes work for claims older than the stale-claim
 * time, and the worker that gets it records the attempt as `WORKER_LOST` (which uses up no retry)
 * and the retry follows. Like a send of queue work, a send that runs longer than the stale-claim
 * time is taken for dead the same way.
 */
export class DirectSender implements SendAtReceipt {
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => Date;
  private lastReceiptAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: DirectSenderOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get worker(): string {
    return this.options.worker;
  }

  claim(ports: readonly string[]): readonly string[] {
    if (this.options.signal.aborted) return [];
    this.lastReceiptAt = performance.now();
    const claimed: string[] = [];
    for (const name of ports) {
      const port = this.options.ports.get(name);
      if (!port || port.ordered || !port.enabled || port.host !== this.options.host) continue;
      if (!this.options.slots.tryTake()) break;
      claimed.push(name);
    }
    return claimed;
  }

  /**
   * How many slots the queue consumer should leave free for sends at receipt: a quarter of them
   * while messages are arriving (one came in the last second), none otherwise. A send at receipt
   * costs a fraction of queue work (no publish, pull, ack, or read of the stream); without this,
   * once a backlog formed the consumer took every slot that came free and most messages went the
   * dear way round, which made the backlog grow faster. With fewer than 4 slots nothing is kept,
   * so that a busy instance's receipts still go to the queue and other workers.
   */
  slotsToKeep(): number {
    const recent = performance.now() - this.lastReceiptAt < 1_000;
    return recent ? Math.floor(this.options.slots.limit / 4) : 0;
  }

  cancel(ports: readonly string[]): void {
    for (let i = 0; i < ports.length; i++) this.options.slots.release();
  }

  start(
    messageId: string,
    received: EventData<'MessageReceived'>,
    ports: readonly string[],
    known: KnownMessage,
  ): void {
    for (const port of ports) {
      let slotHeld = true;
      const releaseSlot = () => {
        if (slotHeld) this.options.slots.release();
        slotHeld = false;
      };
      const task = this.send(messageId, port, received, known, releaseSlot)
        .catch((error: unknown) =>
          // The claim stays open: the reconciler finds it once it is stale, and it is retried.
          this.options.logger.error({ err: error, messageId, port }, 'send at receipt failed to record'),
        )
        .finally(() => {
          releaseSlot();
          this.running.delete(task);
        });
      this.running.add(task);
    }
  }

  /** Sends in progress, for a stop that lets them finish. */
  get inProgress(): number {
    return this.running.size;
  }

  /** Resolves when every send started so far has ended. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async send(
    messageId: string,
    port: string,
    received: EventData<'MessageReceived'>,
    known: KnownMessage,
    releaseSlot: () => void,
  ): Promise<void> {
    const { options } = this;
    const work = { messageId, port, attempt: 1 };
    const actor = `worker:${options.worker}`;
    const result = await sendAttempt(
      options.ports,
      options.blobs,
      work,
      { data: received },
      'primary',
      options.signal,
      options.conversations,
    );
    // The send is over; recording it holds no slot (as for queue work).
    releaseSlot();
    const now = this.now();
    const recorded = await recordSendResult(options.store, options.ports, work, result, {
      actor,
      causationId: dedupKey(work),
      now,
      known,
      ...(options.conversations ? { conversations: options.conversations } : {}),
    });
    // Sending at receipt goes on while the queue is away; the dispatcher publishes the retry then.
    await publishRetry(options.queue, work, recorded.decision, now).catch((error: unknown) =>
      options.logger.warn({ err: error, messageId, port }, 'retry not published; the dispatcher will publish it'),
    );
  }
}
