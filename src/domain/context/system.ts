import { z } from 'zod';
import { defineContextNamespace } from './namespace.js';

const text = z.string().min(1);
const count = z.number().int().nonnegative();

/**
 * The engine's system properties, named as in BizTalk so bindings and filters carry over.
 * On receipt the engine promotes ReceivePortName, ReceiveLocationName, InboundTransportType,
 * InboundTransportLocation and MessageType (when known), and writes MessageID and the
 * Interchange* properties of a split batch. On send it sets SPName, the Outbound* properties,
 * RetryCount and ActualRetryCount. The received file name is a transport property
 * (`FILE.ReceivedFileName`, `FTP.ReceivedFileName`, …), declared by those adapters.
 */
export const BTS = defineContextNamespace('BTS', {
  ReceivePortName: text,
  ReceiveLocationName: text,
  /** The receiving adapter's name: `file`, `nats`, `mq`, … */
  InboundTransportType: text,
  /** Where it received from: a folder, a subject, a queue, a URL. */
  InboundTransportLocation: z.string(),
  MessageID: text,
  /** The message's type, such as `http://example.org/po#PurchaseOrder` or a JSON schema id. */
  MessageType: text,
  /** A split batch: the batch id, the 1-based position, and whether this is the last message. */
  InterchangeID: text,
  InterchangeSequenceNumber: z.number().int().positive(),
  LastInterchangeMessage: z.boolean(),
  SPName: text,
  OutboundTransportType: text,
  OutboundTransportLocation: z.string(),
  /** The send port's configured retry count. */
  RetryCount: count,
  /** Retries already made for this message on this port. */
  ActualRetryCount: count,
  IsDynamicSend: z.boolean(),
  IsRequestResponse: z.boolean(),
  CorrelationToken: text,
  /** On a reply: the correlation set it followed and the message that started the conversation. */
  CorrelationSet: text,
  RequestMessageID: text,
  /** Whether a message nobody subscribes to is suspended (true) or only reported. */
  SuspendMessageOnRoutingFailure: z.boolean(),
});

/**
 * Properties of a failed message routed as an error report (BizTalk's failed message routing),
 * so that a subscription such as `ERR.FailureCode exists` can pick failures up.
 */
export const ERR = defineContextNamespace('ERR', {
  ErrorType: z.enum(['FailedMessage']),
  FailureCode: text,
  Description: z.string(),
  MessageType: text,
  ReceivePortName: text,
  InboundTransportLocation: z.string(),
  SendPortName: text,
  OutboundTransportLocation: z.string(),
  ProcessingServer: text,
  /** ISO 8601 with offset. */
  FailureTime: z.iso.datetime({ offset: true }),
});
