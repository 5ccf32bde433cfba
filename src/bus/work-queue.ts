import type { Slots } from './capacity.js';
import type { SendWork } from './send-work.js';

/**
 * The work queue port: how send work reaches the stateless workers that compete for it.
 * Implementations: `LocalWorkQueue` (a SQLite file, in-process and across processes on one host)
 * and `NatsWorkQueue` (a JetStream work-queue stream). Both pass `test/contract/work-queue.contract.ts`.
 *
 * Semantics every implementation keeps:
 * - **At least once.** An item is delivered until a consumer acks it. A worker must therefore be
 *   idempotent; Signalbox's is, because sending starts with a `SendClaimed` append that only one
 *   worker can win.
 * - **Competing consumers.** Every `consume` call, in this process or any other on the same
 *   queue, competes for items: an item is held by one consumer at a time.
 * - **Ack wait.** A delivered item that is neither acked nor nacked within the ack wait (default
 *   30 s) is delivered again, to any consumer. That is also what happens when the consumer's
 *   process dies. `inProgress()` restarts the ack wait, for sends that take longer.
 * - **De-duplication.** `publish` is idempotent by `dedupKey(work)` (`messageId:port:attempt`)
 *   within a dedup window each implementation documents: within it, publishing the same key again
 *   changes nothing and reports `duplicate: true`. A reissue (`work.reissue`) has its own key, so
 *   work the queue lost can be published again inside the window.
 * - **Late settles.** Settling a delivery after its ack wait ran out does not fail, but what it
 *   does differs: the local queue ignores it (the newer delivery owns the item); JetStream applies
 *   it to the item, so a late ack removes it even while another consumer holds it. Rely on
 *   neither: the `SendClaimed` append decides which worker sends. A settle that fails
 *   (`WorkQueueUnavailable`) may be retried; if it is not, the item comes back after the ack wait.
 * - **No order.** Items are roughly first in, first out, but redeliveries and competing consumers
 *   reorder them; ordered ports do not use this queue.
 * - **Not the system of record.** Losing the queue loses no message: the reconciler rebuilds work
 *   from the event store.
 */
export interface WorkQueue {
  /** Enqueues work, validated against `SendWork`; `notBefore` holds it back until then. */
  publish(work: SendWork): Promise<PublishResult>;
  /**
   * Deliveries for this consumer until `signal` aborts or the queue closes. Each delivery holds a
   * slot of the consumer's capacity from the moment it is yielded until it is acked or nacked, and
   * the iterator takes no more than there are free slots: settle them as they finish. Deliveries
   * already yielded can still be settled after the iteration ended, until `close()`.
   */
  consume(options: ConsumeOptions): AsyncIterable<WorkDelivery>;
  /** Whether the queue can currently take and hand out work (the connection is up). */
  isHealthy(): boolean;
  /** Ends every iteration and releases the connection; unsettled deliveries come back after the ack wait. */
  close(): Promise<void>;
}

export interface PublishResult {
  /** True when the dedup key was already published within the dedup window: nothing was added. */
  readonly duplicate: boolean;
}

export interface ConsumeOptions {
  readonly signal: AbortSignal;
  /** Most deliveries outstanding at once, when no `capacity` is given. Default 1. */
  readonly concurrency?: number;
  /**
   * Slots shared with other work of this process (a worker's sends started at receipt): the
   * consumer takes only free slots, one per delivery, and frees it when the delivery is settled.
   * An item that arrives when another taker was faster is handed straight back (nacked without
   * delay) for a consumer with room. Replaces `concurrency`.
   */
  readonly capacity?: Slots;
}

export interface WorkDelivery {
  readonly work: SendWork;
  /** 1 on the first delivery, 2 on the first redelivery, and so on. */
  readonly deliveryCount: number;
  /** Done: the item is removed and not delivered again. */
  ack(): Promise<void>;
  /**
   * Not done: deliver it again after `delayMs`, or, without it, after the queue's nack backoff for
   * this delivery count (see `nackDelayMs`).
   */
  nack(delayMs?: number): Promise<void>;
  /** Still working on it: the ack wait starts again from now. */
  inProgress(): Promise<void>;
  /**
   * Frees the slot this delivery holds in the consumer's capacity before it is settled: the work
   * that needed the slot (a send) is over and only bookkeeping remains, which should not keep
   * other work waiting. Settling it later frees nothing more. Idempotent.
   */
  releaseSlot(): void;
}
