import type { Consumer, JsMsg, NatsConnection } from 'nats';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReceiveContext, ReceiveHandler } from '../adapter.js';
import { TransientAdapterError } from '../errors.js';
import type { NatsReceiveConfig } from './config.js';
import { closeQuietly, openConnection } from './connection.js';
import { ensureConsumer } from './consumer.js';
import { NATS_ERROR, natsError } from './errors.js';
import { InFlight } from './in-flight.js';
import { jetStreamMessageContext } from './message-context.js';

/** Pulls that fail in a row (the server restarting, say) before `run` gives up and is restarted. */
const MAX_FAILED_PULLS = 20;

/**
 * Pulls from a durable JetStream consumer. Each message is acked only after its submit resolved
 * (received, duplicate or suspended: it is stored either way); a failed submit naks it, so
 * JetStream delivers it again. Receivers on one durable compete for its messages.
 *
 * Pulls are bounded fetches rather than an open-ended `consume`: on a stop, the last pull is let
 * run out, every message it still brings is nakked, and nothing is left on its way to a
 * subscription that is gone (which would hold it until its ack wait passed). While the server
 * restarts the client reconnects and the pulls go on; a connection given up for good, or pulls
 * failing again and again, end `run` with a TransientAdapterError, and the runtime starts it
 * again (which creates the consumer anew if it was lost).
 */
export class JetStreamReceiveHandler implements ReceiveHandler {
  constructor(private readonly config: NatsReceiveConfig) {}

  async run(context: ReceiveContext): Promise<void> {
    if (context.signal.aborted) return;
    const { stream, durable } = this.config as { stream: string; durable: string };
    const connection = await openConnection(this.config, `signalbox-receive-${durable}`);
    try {
      let consumer: Consumer;
      try {
        await ensureConsumer(await connection.jetstreamManager(), this.config);
        consumer = await connection.jetstream().consumers.get(stream, durable);
      } catch (error) {
        throw natsError(error, `cannot receive from ${stream}/${durable}`);
      }
      await this.pullUntilStopped(connection, consumer, context);
    } finally {
      await closeQuietly(connection);
    }
  }

  private async pullUntilStopped(connection: NatsConnection, consumer: Consumer, context: ReceiveContext) {
    const { signal } = context;
    const inFlight = new InFlight(this.config.ordered ? 1 : this.config.concurrency);
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          const batch = await consumer.fetch({
            max_messages: this.config.batchSize,
            expires: this.config.fetchExpiresMs,
          });
          for await (const msg of batch) {
            // A stop while the pull is open: what it still brings goes back, delayed past this
            // pull's end so that it goes to another receiver instead of bouncing back here.
            if (signal.aborted) msg.nak(this.config.fetchExpiresMs + 500);
            else await inFlight.run(() => this.deliver(msg, context));
          }
          failures = 0;
        } catch (error) {
          if (signal.aborted) break;
          if (connection.isClosed() || ++failures >= MAX_FAILED_PULLS) {
            throw new TransientAdapterError(
              connection.isClosed() ? NATS_ERROR.CONNECTION_LOST : NATS_ERROR.CONSUMER_ENDED,
              `receiving from ${this.config.stream}/${this.config.durable}: ${describe(error)}`,
              { cause: error },
            );
          }
          await sleep(Math.min(100 * failures, 1_000), undefined, { signal }).catch(() => undefined);
        }
        if (connection.isClosed() && !signal.aborted) {
          throw new TransientAdapterError(
            NATS_ERROR.CONNECTION_LOST,
            `the connection to ${String(this.config.servers)} was given up`,
            { cause: await connection.closed() },
          );
        }
      }
    } finally {
      await inFlight.drain();
    }
  }

  private async deliver(msg: JsMsg, context: ReceiveContext): Promise<void> {
    try {
      await context.submit({
        // The stream sequence names the message for its stream's life; the stored timestamp
        // tells it from the same sequence in a stream deleted and made again under that name.
        sourceKey: `${msg.info.stream}:${msg.info.streamSequence}:${msg.info.timestampNanos}`,
        body: msg.data,
        context: jetStreamMessageContext(msg),
      });
    } catch {
      msg.nak(this.config.nakDelayMs);
      return;
    }
    // A lost ack (the connection dropped) means one more delivery, which the source key makes a duplicate.
    await msg.ackAck().catch(() => false);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
