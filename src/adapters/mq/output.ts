import { createHash } from 'node:crypto';
import { readProperty } from '../../domain/context/index.js';
import type { OutboundMessage, SendHandler, SendOutcome, SendPortRuntimeInfo } from '../adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import { MqiError, type MqClient, type MqConnection, type MqHandle } from './client.js';
import type { MqSendConfig } from './config.js';
import {
  MQENC_NATIVE,
  MQFMT_STRING,
  MQGMO_FAIL_IF_QUIESCING,
  MQGMO_SYNCPOINT,
  MQGMO_WAIT,
  MQMO_MATCH_CORREL_ID,
  MQMT_REQUEST,
  MQOO_FAIL_IF_QUIESCING,
  MQOO_INPUT_EXCLUSIVE,
  MQOO_OUTPUT,
  MQPER_NOT_PERSISTENT,
  MQPER_PERSISTENT,
  MQPMO_FAIL_IF_QUIESCING,
  MQPMO_NEW_CORREL_ID,
  MQPMO_NEW_MSG_ID,
  MQPMO_NO_SYNCPOINT,
  MQPMO_SYNCPOINT,
} from './constants.js';
import { MQ_ERROR, mqError } from './errors.js';
import { buildHeaders, parseHeaders } from './headers/chain.js';
import { bytesFromHex, type MqMd } from './md.js';
import { headersFromContext, mdFromContext, receivedContext } from './message-context.js';
import { MQRC } from './reason-codes.js';
import { MqSession } from './session.js';

/** One send at a time per connection: MQPUT … MQCMIT of two sends must not share a unit of work. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/** The engine's MsgId for a message sent on a port: the same on every retry of that send. */
export function engineMsgId(messageId: string, port: string): Buffer {
  return createHash('sha256').update(`${messageId}:${port}`).digest().subarray(0, 24);
}

/**
 * Puts each message to a local, alias, remote-definition, model (dynamic) or transmission queue,
 * or to another queue manager's queue through its transmission queue. MQMD fields and MQCIH,
 * MQIIH, MQRFH2 and MQDLH headers come from the message's context properties. Transactional
 * sends put under syncpoint and commit only when the whole send succeeded (for request-reply:
 * the request is committed before the reply is awaited, as it must be to reach anybody).
 */
export class MqSendHandler implements SendHandler {
  private readonly session: MqSession;
  private readonly mutex = new Mutex();

  constructor(
    private readonly config: MqSendConfig,
    port: SendPortRuntimeInfo,
    client?: MqClient,
  ) {
    this.session = new MqSession(config, port.secrets, client);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const body = await message.readBody(this.config.maxMessageBytes).catch((error: unknown) => {
      throw new PermanentAdapterError(MQ_ERROR.TOO_LARGE, `${message.messageId}: ${String(error)}`);
    });
    const destination = this.destination(message);
    return this.mutex.run(async () => {
      const session = this.session;
      const connection = await session.connect(signal);
      const key = `out:${destination.queueManager ?? ''}:${destination.queue}`;
      const handle = await session.open(
        key,
        {
          name: destination.queue,
          ...(destination.queueManager ? { queueManager: destination.queueManager } : {}),
          dynamicQName: this.config.dynamicQueueName,
        },
        MQOO_OUTPUT | MQOO_FAIL_IF_QUIESCING,
        signal,
      );
      try {
        return await this.put(message, body, connection, handle, destination.queue, signal);
      } catch (error) {
        if (this.config.transactional) await connection.backout().catch(() => undefined);
        await session.failed(error);
        if (error instanceof MqiError) throw mqError(error, `MQPUT to ${destination.queue} on ${session.target}`);
        throw error;
      }
    });
  }

  private destination(message: OutboundMessage): { queue: string; queueManager?: string } {
    if (this.config.toReplyQueue) {
      const replyQ = readProperty(message.context, 'MQMD.ReplyToQ');
      const replyQm = readProperty(message.context, 'MQMD.ReplyToQMgr');
      if (typeof replyQ === 'string' && replyQ.trim() !== '') {
        const queueManager = typeof replyQm === 'string' ? replyQm.trim() : '';
        return {
          queue: replyQ.trim(),
          ...(queueManager && queueManager !== this.config.queueManager ? { queueManager } : {}),
        };
      }
      if (this.config.queue === undefined) {
        throw new PermanentAdapterError(
          MQ_ERROR.PROPERTY_INVALID,
          `${message.messageId} has no MQMD.ReplyToQ to reply to`,
        );
      }
    }
    return {
      queue: this.config.queue!,
      ...(this.config.remoteQueueManager ? { queueManager: this.config.remoteQueueManager } : {}),
    };
  }

  private async put(
    message: OutboundMessage,
    data: Buffer,
    connection: MqConnection,
    handle: MqHandle,
    queue: string,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    const config = this.config;
    const md = this.descriptor(message);
    const headers = headersFromContext(message.context, { transmissionHeader: config.transmissionHeader });
    const built = buildHeaders(
      headers,
      data,
      md.Format ?? MQFMT_STRING,
      md.Encoding ?? MQENC_NATIVE,
      md.CodedCharSetId ?? 0,
    );
    md.Format = built.format;
    let options = MQPMO_FAIL_IF_QUIESCING | (config.transactional ? MQPMO_SYNCPOINT : MQPMO_NO_SYNCPOINT);
    if (config.msgId === 'mq') options |= MQPMO_NEW_MSG_ID;
    if (config.correlId === 'mq') options |= MQPMO_NEW_CORREL_ID;
    const replyQueue = config.requestReply ? await this.openReplyQueue(signal) : undefined;
    if (replyQueue) {
      md.MsgType = MQMT_REQUEST;
      md.ReplyToQ = replyQueue.resolvedName;
    }
    const sent = await connection.put(handle, md, { options }, built.body);
    if (config.transactional) await connection.commit();
    const properties: Record<string, string> = {
      'MQMD.MsgId': hex(sent.MsgId),
      'MQMD.CorrelId': hex(sent.CorrelId),
      'MQ.Queue': queue,
    };
    if (handle.resolvedName !== queue) properties['MQ.DynamicQueueName'] = handle.resolvedName;
    const address = `mq://${handle.resolvedQueueManager || config.queueManager}/${handle.resolvedName}`;
    if (!replyQueue) return { address, properties };
    const response = await this.awaitReply(connection, replyQueue, sent.MsgId);
    return { address, properties, response };
  }

  /** The MQMD of a put: context properties first, then what the port sets. */
  private descriptor(message: OutboundMessage): Partial<MqMd> {
    const config = this.config;
    const md = mdFromContext(message.context);
    const fromContext = md.MsgId;
    delete md.MsgId;
    if (config.msgId === 'engine') md.MsgId = engineMsgId(message.messageId, message.port);
    if (config.msgId === 'context') {
      if (!fromContext)
        throw new PermanentAdapterError(MQ_ERROR.PROPERTY_INVALID, `${message.messageId} has no MQMD.MsgId`);
      md.MsgId = fromContext;
    }
    if (config.correlId === 'requestMsgId') {
      const request = readProperty(message.context, 'MQMD.MsgId');
      if (typeof request !== 'string') {
        throw new PermanentAdapterError(
          MQ_ERROR.PROPERTY_INVALID,
          `${message.messageId} has no MQMD.MsgId to correlate the reply with`,
        );
      }
      md.CorrelId = bytesFromHex(request, 24);
    } else if (config.correlId === 'none' || config.correlId === 'mq') {
      delete md.CorrelId;
    }
    md.Format ??= config.format.padEnd(8, ' ');
    if (config.persistence !== 'queue')
      md.Persistence = config.persistence === 'persistent' ? MQPER_PERSISTENT : MQPER_NOT_PERSISTENT;
    if (config.priority !== undefined) md.Priority = config.priority;
    if (config.expiryMs !== undefined) md.Expiry = Math.ceil(config.expiryMs / 100);
    if (config.replyToQueue) md.ReplyToQ = config.replyToQueue;
    if (config.replyToQueueManager) md.ReplyToQMgr = config.replyToQueueManager;
    // A message received from MQ carries its BackoutCount and put context; none of it is the sender's.
    return md;
  }

  private async openReplyQueue(signal: AbortSignal): Promise<MqHandle> {
    const reply = this.config.requestReply!;
    return this.session.open(
      'reply',
      { name: reply.replyQueue, dynamicQName: this.config.dynamicQueueName },
      MQOO_INPUT_EXCLUSIVE | MQOO_FAIL_IF_QUIESCING,
      signal,
    );
  }

  /** Waits for the reply whose CorrelId is the request's MsgId (MQRO_COPY_MSG_ID_TO_CORREL_ID, MQ's default). */
  private async awaitReply(
    connection: MqConnection,
    replyQueue: MqHandle,
    msgId: Buffer,
  ): Promise<SendOutcome['response']> {
    const reply = this.config.requestReply!;
    try {
      const got = await connection.get(
        replyQueue,
        { CorrelId: msgId },
        {
          options: MQGMO_WAIT | MQGMO_FAIL_IF_QUIESCING | MQGMO_SYNCPOINT,
          waitInterval: reply.timeoutMs,
          matchOptions: MQMO_MATCH_CORREL_ID,
        },
        this.config.maxMessageBytes,
      );
      await connection.commit();
      let parsed;
      try {
        parsed = parseHeaders(got.md.Format, got.md.Encoding, got.md.CodedCharSetId, got.body);
      } catch {
        parsed = undefined;
      }
      return {
        body: parsed?.data ?? got.body,
        context: receivedContext(got.md, parsed, {
          queue: replyQueue.resolvedName,
          queueManager: replyQueue.resolvedQueueManager,
        }),
      };
    } catch (error) {
      if (error instanceof MqiError && error.reason === MQRC.NO_MSG_AVAILABLE) {
        throw new TransientAdapterError(
          MQ_ERROR.NO_REPLY,
          `no reply on ${replyQueue.resolvedName} within ${reply.timeoutMs} ms (CorrelId ${hex(msgId)})`,
        );
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.mutex.run(() => this.session.close());
  }
}

function hex(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase();
}
