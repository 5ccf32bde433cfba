import type { JsMsg } from 'nats';
import { nackDelayMs } from '../backoff.js';
import type { SendWork } from '../send-work.js';
import type { WorkDelivery } from '../work-queue.js';
import type { ResolvedNatsOptions } from './options.js';
import { toWorkQueueError } from './translate-errors.js';

/**
 * Wraps a JetStream message as a delivery. `onSettle` runs once, at the first ack, nack or
 * `releaseSlot`, to free the consumer's capacity even when the settle itself fails: the item then
 * comes back after the ack wait anyway.
 */
export function natsDelivery(
  msg: JsMsg,
  work: SendWork,
  options: ResolvedNatsOptions,
  onSettle: () => void,
): WorkDelivery {
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    onSettle();
  };
  const deliveryCount = msg.info.deliveryCount;
  return {
    work,
    deliveryCount,
    ack: async () => {
      settle();
      try {
        // Waits for the server's confirmation: a worker that reports an item done should know
        // the ack was not lost on the way.
        await msg.ackAck({ timeout: options.requestTimeoutMs });
      } catch (error) {
        throw toWorkQueueError(error, `ack of ${msg.info.stream}#${msg.info.streamSequence}`);
      }
    },
    nack: async (delayMs?: number) => {
      settle();
      try {
        msg.nak(Math.max(0, delayMs ?? nackDelayMs(deliveryCount, options.nackBackoffMs)));
      } catch (error) {
        throw toWorkQueueError(error, `nack of ${msg.info.stream}#${msg.info.streamSequence}`);
      }
    },
    releaseSlot: settle,
    inProgress: async () => {
      try {
        msg.working();
      } catch (error) {
        throw toWorkQueueError(error, `in-progress of ${msg.info.stream}#${msg.info.streamSequence}`);
      }
    },
  };
}
