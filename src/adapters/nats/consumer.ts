import { AckPolicy, DeliverPolicy, nanos, type JetStreamManager } from 'nats';
import { PermanentAdapterError } from '../errors.js';
import type { NatsReceiveConfig } from './config.js';
import { jsApiErrorCode, JS_CONSUMER_NOT_FOUND, NATS_ERROR, natsError } from './errors.js';

/**
 * Makes sure the durable consumer exists. An existing one is used as it is (its settings belong
 * to whoever made it); a missing one is created from the settings when `createConsumer` allows.
 * Receivers starting together may all create it: identical creates all succeed.
 */
export async function ensureConsumer(jsm: JetStreamManager, config: NatsReceiveConfig): Promise<void> {
  const stream = config.stream!;
  const durable = config.durable!;
  try {
    await jsm.consumers.info(stream, durable);
    return;
  } catch (error) {
    if (jsApiErrorCode(error) !== JS_CONSUMER_NOT_FOUND) throw natsError(error, `stream ${stream}`);
  }
  if (!config.createConsumer) {
    throw new PermanentAdapterError(
      NATS_ERROR.CONSUMER_NOT_FOUND,
      `stream ${stream} has no consumer ${durable} (and createConsumer is false)`,
    );
  }
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: config.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(config.ackWaitMs),
      max_ack_pending: config.ordered ? 1 : config.maxAckPending,
      // Unlimited: a message is never dropped for failing too often; the engine suspends it instead.
      max_deliver: -1,
      ...(config.subject ? { filter_subject: config.subject } : {}),
    });
  } catch (error) {
    throw natsError(error, `cannot create consumer ${durable} on stream ${stream}`);
  }
}
