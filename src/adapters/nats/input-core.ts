import type { Msg } from 'nats';
import type { ReceiveContext, ReceiveHandler } from '../adapter.js';
import { TransientAdapterError } from '../errors.js';
import type { NatsReceiveConfig } from './config.js';
import { closeQuietly, openConnection, watchClosed } from './connection.js';
import { NATS_ERROR } from './errors.js';
import { InFlight } from './in-flight.js';
import { coreMessageContext } from './message-context.js';

/**
 * Subscribes to a core subject, in a queue group when one is set so that receivers compete.
 * Core NATS keeps nothing: a message published while no receiver is subscribed, or whose submit
 * fails, is gone. Use JetStream where that matters.
 */
export class CoreReceiveHandler implements ReceiveHandler {
  constructor(private readonly config: NatsReceiveConfig) {}

  async run(context: ReceiveContext): Promise<void> {
    const { signal } = context;
    if (signal.aborted) return;
    const connection = await openConnection(this.config, 'signalbox-receive');
    const subscription = connection.subscribe(this.config.subject!, {
      ...(this.config.queueGroup ? { queue: this.config.queueGroup } : {}),
    });
    // Drain, not unsubscribe: messages the client already holds are still submitted.
    const stop = () => void subscription.drain().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    const gone = watchClosed(connection, stop);
    const inFlight = new InFlight(this.config.ordered ? 1 : this.config.concurrency);
    try {
      for await (const msg of subscription) await inFlight.run(() => this.deliver(msg, context));
      await inFlight.drain();
    } finally {
      signal.removeEventListener('abort', stop);
      await closeQuietly(connection);
    }
    if (!signal.aborted) {
      throw new TransientAdapterError(NATS_ERROR.CONNECTION_LOST, `subscription to ${this.config.subject} ended`, {
        cause: await gone,
      });
    }
  }

  private async deliver(msg: Msg, context: ReceiveContext): Promise<void> {
    const id = msg.headers?.get('Nats-Msg-Id');
    await context
      .submit({
        // A publisher's message id is the one natural key core NATS has: a re-publish with the
        // same id (a retry) is then received once.
        ...(id ? { sourceKey: `msg-id:${id}` } : {}),
        body: msg.data,
        context: coreMessageContext(msg),
      })
      // Core NATS cannot deliver again, so there is nothing to nack: the failed submit was
      // reported by the engine that ran it, and the subscription goes on.
      .catch(() => undefined);
  }
}
