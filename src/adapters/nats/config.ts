import { z } from 'zod';
import { natsName, publishSubject, subscribeSubject } from './subject.js';

const serverUrl = z
  .string()
  .min(1)
  .refine((s) => /^(?:(?:nats|tls):\/\/)?[^\s/@]+$/.test(s), {
    message: 'a server is nats://host:port or tls://host:port, without user:password@ (credentials are secrets)',
  });

/** Connection settings both sides share. */
const connection = {
  servers: z
    .union([serverUrl, z.array(serverUrl).min(1)])
    .default('nats://127.0.0.1:4222')
    .describe('One server URL or several of one cluster (the client fails over between them).'),
  connectionName: z.string().min(1).optional().describe('The name the server shows for this connection.'),
  connectTimeoutMs: z.number().int().min(100).default(5_000).describe('How long the first connect may take, in ms.'),
  reconnectTimeWaitMs: z
    .number()
    .int()
    .min(10)
    .default(2_000)
    .describe('Pause between reconnect attempts to one server, in ms.'),
  maxReconnectAttempts: z
    .number()
    .int()
    .min(-1)
    .default(10)
    .describe(
      'Reconnect attempts per server before the connection is given up (-1: never); then the receiver ends with NATS_CONNECTION_LOST and the runtime starts it again with back-off.',
    ),
};

const mode = z
  .enum(['core', 'jetstream'])
  .default('core')
  .describe('Core NATS (at most once: only while a receiver is subscribed) or a JetStream stream (stored, acked).');

export const natsReceiveConfigSchema = z
  .object({
    ...connection,
    mode,
    subject: subscribeSubject
      .optional()
      .describe('core: the subject to subscribe to (wildcards allowed); jetstream: an optional filter of the stream.'),
    queueGroup: natsName
      .optional()
      .describe('core: receivers in one queue group compete (each message goes to one of them).'),
    stream: natsName.optional().describe('jetstream: the stream to receive from.'),
    durable: natsName
      .optional()
      .describe('jetstream: the durable pull consumer; receivers naming the same one compete for its messages.'),
    createConsumer: z
      .boolean()
      .default(true)
      .describe('jetstream: create the durable consumer when it does not exist (an existing one is used as it is).'),
    deliverPolicy: z
      .enum(['all', 'new'])
      .default('all')
      .describe('jetstream, for a consumer created here: start at the first message in the stream, or at new ones.'),
    ackWaitMs: z
      .number()
      .int()
      .min(1_000)
      .default(30_000)
      .describe('jetstream, for a consumer created here: an unacked message is delivered again after this long.'),
    maxAckPending: z
      .number()
      .int()
      .min(1)
      .default(1_000)
      .describe('jetstream, for a consumer created here: most messages out unacked at once (1 when ordered).'),
    batchSize: z.number().int().min(1).max(10_000).default(100).describe('jetstream: messages asked for per pull.'),
    fetchExpiresMs: z
      .number()
      .int()
      .min(1_000)
      .max(60_000)
      .default(2_000)
      .describe(
        'jetstream: how long one pull stays open waiting for messages. A stopping receiver lets its last pull run out (naking what still comes), so this bounds how long a stop takes.',
      ),
    nakDelayMs: z
      .number()
      .int()
      .min(0)
      .default(1_000)
      .describe('jetstream: when a submit fails, the message is delivered again after this delay.'),
    ordered: z
      .boolean()
      .default(false)
      .describe(
        'Receive strictly in order: one receiver at a time (under a lease), one message at a time; a jetstream consumer created here gets maxAckPending 1.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(16)
      .describe('Messages submitted at once by one receiver (1 when ordered).'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.mode === 'core') {
      if (c.subject === undefined) issue('subject', 'core receive needs a subject');
      if (c.stream !== undefined) issue('stream', 'only for mode "jetstream"');
      if (c.durable !== undefined) issue('durable', 'only for mode "jetstream"');
    } else {
      if (c.stream === undefined) issue('stream', 'jetstream receive needs a stream');
      if (c.durable === undefined) issue('durable', 'jetstream receive needs a durable consumer name');
      if (c.queueGroup !== undefined) issue('queueGroup', 'only for mode "core" (a durable consumer is shared)');
    }
  });
export type NatsReceiveConfig = z.output<typeof natsReceiveConfigSchema>;

export const natsSendConfigSchema = z
  .object({
    ...connection,
    mode,
    subject: publishSubject.describe('The subject to publish to (no wildcards).'),
    expectStream: natsName
      .optional()
      .describe('jetstream: fail the send unless this stream stored the message (a guard against a wrong subject).'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .default(5_000)
      .describe("How long a send waits: for JetStream's ack, or for the server's reply to a flush (core)."),
    requestReply: z
      .boolean()
      .default(false)
      .describe(
        'core: send as a request and wait `timeoutMs` for the reply, which the engine receives as a new message correlated to this one (solicit-response); no reply in time fails the send, retried per the port, then suspended.',
      ),
    flush: z
      .boolean()
      .default(true)
      .describe(
        'core: wait for a round trip to the server after each publish, so a send reports success only once the server has it.',
      ),
  })
  .superRefine((c, ctx) => {
    if (c.requestReply && c.mode !== 'core') {
      ctx.addIssue({
        code: 'custom',
        path: ['requestReply'],
        message: 'only for mode "core" (JetStream publishes are acked, not answered)',
      });
    }
  });
export type NatsSendConfig = z.output<typeof natsSendConfigSchema>;
