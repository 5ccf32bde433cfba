import type { NatsConnection } from 'nats';
import type { Readable } from 'node:stream';
import type { OutboundMessage, SendHandler, SendOutcome } from '../adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import type { NatsSendConfig } from './config.js';
import { closeQuietly, openConnection } from './connection.js';
import { NATS_ERROR, natsError } from './errors.js';
import { FlushedPublisher } from './flushed-publisher.js';
import { headersFromContext } from './headers.js';
import { coreMessageContext } from './message-context.js';

/** nats-server's default max_payload, for the moment before the server's INFO says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Publishes each message to a subject, core or JetStream, or sends it as a request and returns
 * the reply (solicit-response). `Nats-Msg-Id` is `messageId:port`, so within the stream's
 * duplicate window a stream keeps one copy of a message however often its send was retried
 * (a publish whose ack was lost, a worker killed after publishing); `NATS.Header.*` context
 * properties become headers.
 */
export class NatsSendHandler implements SendHandler {
  private connection: Promise<NatsConnection> | undefined;
  private readonly publisher = new FlushedPublisher();

  constructor(private readonly config: NatsSendConfig) {}

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const connection = await this.connect();
    const maxPayload = connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    const headers = headersFromContext(message.context);
    const body = await readLimited(await message.openBody(), maxPayload);
    const msgId = `${message.messageId}:${message.port}`;
    const subject = this.config.subject;
    try {
      if (this.config.mode === 'jetstream') {
        const ack = await connection.jetstream().publish(subject, body, {
          headers,
          msgID: msgId,
          timeout: this.config.timeoutMs,
          ...(this.config.expectStream ? { expect: { streamName: this.config.expectStream } } : {}),
        });
        return { address: subject, properties: { stream: ack.stream, sequence: ack.seq, duplicate: ack.duplicate } };
      }
      headers.set('Nats-Msg-Id', msgId);
      if (this.config.requestReply) {
        const reply = await connection.request(subject, body, { headers, timeout: this.config.timeoutMs });
        return { address: subject, response: { body: reply.data, context: coreMessageContext(reply) } };
      }
      if (this.config.flush) {
        await withTimeout(this.publisher.publish(connection, subject, body, headers), this.config.timeoutMs, subject);
      } else {
        connection.publish(subject, body, { headers });
      }
      return { address: subject };
    } catch (error) {
      throw natsError(error, `cannot publish to ${subject}`);
    }
  }

  async close(): Promise<void> {
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await closeQuietly(connection);
  }

  /** One connection for all sends; made again when the client gave the last one up. */
  private async connect(): Promise<NatsConnection> {
    // Set synchronously, so concurrent first sends share one connection instead of each opening one.
    const pending = (this.connection ??= openConnection(this.config, 'signalbox-send'));
    const current = await pending.catch(() => undefined);
    if (current && !current.isClosed()) return current;
    // That one failed or was given up; whoever notices first opens the next, the others share it.
    if (this.connection === pending) this.connection = openConnection(this.config, 'signalbox-send');
    return this.connection;
  }
}

/** The whole body, refused once it passes the server's limit instead of after reading it all. */
async function readLimited(body: Readable, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += data.length;
    if (size > limit) {
      body.destroy();
      throw new PermanentAdapterError(
        NATS_ERROR.PAYLOAD_TOO_LARGE,
        `the body is larger than the server's max_payload of ${limit} bytes`,
      );
    }
    chunks.push(data);
  }
  return Buffer.concat(chunks, size);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, subject: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TransientAdapterError(NATS_ERROR.TIMEOUT, `no flush reply from the server within ${ms} ms (${subject})`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
