import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { EventData, MessageContext } from '../domain/events/index.js';
import type { LocationClaim } from '../domain/location/unfinished-claims.js';
import type { SecretResolver } from './secrets.js';

export type PropertyValue = string | number | boolean | null;

/** A message as a receive handler hands it to the engine. */
export interface InboundMessage {
  /**
   * The source's natural key (MQ MsgId, FTP path+size+mtime, POP3 UIDL, JetStream sequence,
   * Idempotency-Key). The message id derives from it, so a redelivery is received only once.
   */
  readonly sourceKey?: string;
  /** Small bodies as bytes; large ones as a stream, which goes to the blob store unbuffered. */
  readonly body: Uint8Array | Readable;
  readonly contentType?: string;
  readonly context?: Partial<MessageContext>;
  readonly parts?: readonly { name: string; contentType?: string; body: Uint8Array }[];
}

/**
 * What became of a submitted message. The adapter commits its transport (ack, delete, MQCMIT)
 * for every outcome: `duplicate` means an earlier delivery was already received, and
 * `suspended` means it is safely stored with its reason, so nothing is lost either way.
 */
export type SubmitResult =
  | { readonly status: 'received'; readonly messageIds: readonly string[] }
  | { readonly status: 'duplicate'; readonly messageId: string }
  | { readonly status: 'suspended'; readonly messageId: string; readonly reason: string };

/**
 * The fenced `location-{name}` stream of a single-active location, for the lease term this
 * instance holds. A receiver that must never take one source item twice (FTP, SFTP, POP3, an
 * ordered queue) records a claim before fetching and a completion after removing the item; a new
 * holder finishes `unfinished()` claims first. `record` throws `Deposed` once this instance is no
 * longer the holder, so a deposed receiver can never claim again.
 */
export interface LocationLog {
  readonly term: number;
  unfinished(): Promise<LocationClaim[]>;
  record<
    T extends
      | 'FileClaimed'
      | 'FileCompleted'
      | 'MailClaimed'
      | 'MailCompleted'
      | 'QueueMessageClaimed'
      | 'QueueMessageCompleted',
  >(
    type: T,
    data: EventData<T>,
  ): Promise<void>;
}

export interface ReceiveContext {
  /** Aborted when the handler must stop: shutdown, the location disabled, or its lease lost. */
  readonly signal: AbortSignal;
  /** Present when the location runs single-active (under its lease); absent otherwise. */
  readonly log?: LocationLog;
  /**
   * For request-response receivers (HTTP): replies correlated to submitted messages. Present when
   * an engine runs the handler; absent in bare harnesses.
   */
  readonly replies?: ReplySource;
  /** Runs the receive pipeline, routes, and records `MessageReceived` (or the suspension). */
  submit(message: InboundMessage): Promise<SubmitResult>;
  /**
   * Whether the message of this source key is recorded already, so a receiver can skip
   * downloading what another session (or one that died before deleting it) took. Only a hint:
   * `submit` alone decides, and a `true` can only be stale in the safe direction (it never
   * becomes false). Absent in bare harnesses.
   */
  isReceived?(sourceKey: string): Promise<boolean>;
}

/** A reply the engine received and correlated to a request (its `BTS.RequestMessageID`). */
export interface ReplyMessage {
  readonly messageId: string;
  readonly contentType?: string;
  readonly context: MessageContext;
  openBody(): Promise<Readable>;
}

/** Waits for the replies to requests; open it before taking the first request, so none is missed. */
export interface ReplySource {
  open(): Promise<ReplyListener>;
}

export interface ReplyListener {
  /** The first reply correlated to `requestMessageId`, or undefined when none came in time. */
  wait(
    requestMessageId: string,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<ReplyMessage | undefined>;
  close(): void;
}

/**
 * A receive handler's loop: connect → read → submit → ack/nack → close. It returns when the
 * signal aborts; a `TransientAdapterError` makes the runtime reconnect it with back-off.
 */
export interface ReceiveHandler {
  run(context: ReceiveContext): Promise<void>;
}

/** A message as a send handler gets it. */
export interface OutboundMessage {
  readonly messageId: string;
  readonly port: string;
  readonly attempt: number;
  readonly contentType?: string;
  readonly context: MessageContext;
  /** Opens the body as a stream (from the event or the blob store). */
  openBody(): Promise<Readable>;
  /** The body's size in bytes, as recorded at receipt: lets a transport announce it (Content-Length). */
  readonly bodySize?: number;
  /** The whole body; refused past a size limit, for transports that need it in one piece. */
  readBody(maxBytes?: number): Promise<Buffer>;
  /** The message's other parts as received (mail attachments), each opened as a stream. */
  readonly parts?: readonly OutboundPart[];
}

export interface OutboundPart {
  readonly name: string;
  readonly contentType?: string;
  open(): Promise<Readable>;
}

export interface SendOutcome {
  /** Where it went (a file path, a subject, a queue), for tracking. */
  readonly address?: string;
  /** Properties the transport handed back (an MQ MsgId, an HTTP status). */
  readonly properties?: Record<string, PropertyValue>;
  /**
   * A solicit-response send's answer (an HTTP response, a NATS reply, an MQ reply read from the
   * ReplyToQ): the engine receives it as a new message correlated to the request.
   */
  readonly response?: Omit<InboundMessage, 'sourceKey'>;
}

export interface SendHandler {
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** What a receive handler knows of its location besides its settings. */
export interface ReceiveLocationRuntime {
  readonly name: string;
  readonly receivePort: string;
  /** Reveals the secrets the settings reference (`{ secret: name }`), at connect time. */
  readonly secrets: SecretResolver;
}

/** What a send handler knows of its port besides its settings. */
export interface SendPortRuntimeInfo {
  readonly name: string;
  readonly secrets: SecretResolver;
}

export interface ReceiveSide<C> {
  readonly config: z.ZodType<C>;
  /**
   * Whether one instance at a time may run this receiver (under a lease): `always` for FTP,
   * SFTP; a function where it depends on the settings (POP3 `auto`, ordered NATS receive).
   */
  readonly singleActive: 'always' | 'never' | ((config: C) => boolean);
  create(config: C, location: ReceiveLocationRuntime): ReceiveHandler;
}

export interface SendSide<C> {
  readonly config: z.ZodType<C>;
  create(config: C, port: SendPortRuntimeInfo): SendHandler;
  /** For dynamic send ports: the address schemes this adapter takes (`file`, `nats`) and how. */
  readonly address?: { readonly schemes: readonly string[]; parse(address: string): C };
}

/** One adapter: its settings schemas and its handlers. Each adapter folder exports one. */
export interface AdapterDefinition<R = unknown, S = unknown> {
  readonly name: string;
  readonly description: string;
  readonly receive?: ReceiveSide<R>;
  readonly send?: SendSide<S>;
}
