import { z } from 'zod';
import { defineEvent, errorInfo, messageId, nonEmpty, propertyValue } from './define.js';

/** Where a message body lives: inline in the event, or in the blob store by its sha256 (claim check). */
export const bodyRefSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('inline'),
    encoding: z.enum(['utf8', 'base64']),
    content: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string().length(64),
  }),
  z.object({
    kind: z.literal('blob'),
    sha256: z.string().length(64),
    size: z.number().int().nonnegative(),
  }),
]);
export type BodyRef = z.infer<typeof bodyRefSchema>;

/**
 * Context properties, namespaced (`MQMD.CorrelId`, `FILE.ReceivedFileName`, `BTS.ReceivePortName`).
 * Only promoted properties take part in routing; written ones travel with the message.
 */
export const contextSchema = z.object({
  promoted: z.record(z.string(), propertyValue),
  written: z.record(z.string(), propertyValue),
});
export type MessageContext = z.infer<typeof contextSchema>;

export const messagePartSchema = z.object({
  name: nonEmpty,
  contentType: z.string().optional(),
  body: bodyRefSchema,
});

export const MessageReceived = defineEvent(
  'MessageReceived',
  1,
  z.object({
    messageId,
    receiveLocation: nonEmpty,
    receivePort: z.string().optional(),
    adapter: nonEmpty,
    /** The source's natural key (MQ MsgId, FTP claim, POP3 UIDL, JetStream sequence, Idempotency-Key). */
    sourceKey: z.string().optional(),
    contentType: z.string().optional(),
    body: bodyRefSchema,
    parts: z.array(messagePartSchema).optional(),
    context: contextSchema,
    /** The routing decision taken at receipt: the send ports whose subscriptions matched. */
    routing: z.object({
      sendPorts: z.array(nonEmpty),
      subscriptions: z.array(nonEmpty),
    }),
    batch: z
      .object({ batchId: nonEmpty, index: z.number().int().nonnegative(), count: z.number().int().positive() })
      .optional(),
  }),
);

export const MessageUnroutable = defineEvent('MessageUnroutable', 1, z.object({ messageId, reason: z.string() }));

export const SendClaimed = defineEvent(
  'SendClaimed',
  1,
  z.object({ messageId, port: nonEmpty, attempt: z.number().int().positive(), worker: nonEmpty }),
);

export const MessageSent = defineEvent(
  'MessageSent',
  1,
  z.object({
    messageId,
    port: nonEmpty,
    attempt: z.number().int().positive(),
    transport: z.enum(['primary', 'backup']),
    address: z.string().optional(),
    durationMs: z.number().nonnegative(),
    /** Properties the transport handed back (an MQ MsgId, an HTTP status, a remote file name). */
    outcome: z.record(z.string(), propertyValue).optional(),
  }),
);

export const SendFailed = defineEvent(
  'SendFailed',
  1,
  z.object({
    messageId,
    port: nonEmpty,
    attempt: z.number().int().positive(),
    transport: z.enum(['primary', 'backup']),
    error: errorInfo,
    /** When the next attempt is due; absent when the port gave up (suspension follows). */
    nextRetryAt: z.iso.datetime({ offset: true }).optional(),
    /** The transport of the next attempt: `backup` once the primary's retries are used up. */
    nextTransport: z.enum(['primary', 'backup']).optional(),
  }),
);

export const MessageSuspended = defineEvent(
  'MessageSuspended',
  1,
  z.object({
    messageId,
    port: z.string().optional(),
    stage: z.enum(['receive', 'route', 'send', 'correlation', 'ordered']),
    reason: errorInfo,
    /** The attempt a resume will make, when it is not the next one after a failure (a reply timed out). */
    nextAttempt: z.number().int().positive().optional(),
  }),
);

export const MessageResumed = defineEvent(
  'MessageResumed',
  1,
  z.object({
    messageId,
    /** The suspended send to resume; absent for a message suspended before routing. */
    port: z.string().optional(),
    /** A message suspended as unroutable is routed again on resume, under the configuration then live. */
    routing: z.object({ sendPorts: z.array(nonEmpty), subscriptions: z.array(nonEmpty) }).optional(),
    note: z.string().optional(),
  }),
);

export const MessageTerminated = defineEvent(
  'MessageTerminated',
  1,
  z.object({
    messageId,
    port: z.string().optional(),
    note: z.string().optional(),
    /**
     * A message that failed its receive pipeline, resumed by an operator: its body went through
     * the pipeline live now and became these messages, and this one ends here.
     */
    resubmittedAs: z.array(messageId).optional(),
  }),
);

export const MessageReplayed = defineEvent(
  'MessageReplayed',
  1,
  z.object({
    messageId,
    originalMessageId: messageId,
    replayId: nonEmpty,
    sendPort: nonEmpty,
  }),
);
