import { Readable } from 'node:stream';
import type { InboundMessage, SubmitResult } from '../../adapters/adapter.js';
import { mergeContexts } from '../../domain/context/index.js';
import type { BodyRef, EventData, EventType, MessageContext, NewEvent } from '../../domain/events/index.js';
import { SignalboxError } from '../../domain/errors.js';
import { route, type CompiledSubscription } from '../../domain/routing/route.js';
import { streams } from '../../domain/streams.js';
import type { PipelineMessage } from '../../pipeline/component.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import { makeEvent } from '../../store/make-event.js';
import { messageIdFromSource, newMessageId } from '../../store/message-id.js';
import { readBody } from '../message-body.js';
import type { KnownMessage } from '../message-commands.js';
import { storeBody } from './body-ref.js';

export type CompiledPipeline = (message: PipelineMessage) => Promise<PipelineMessage[]>;

export interface Routing {
  readonly subscriptions: readonly CompiledSubscription[];
  readonly enabledPorts: ReadonlySet<string>;
}

/**
 * Sends started at receipt (`DirectSender`): the receiver claims attempt 1 of some routed sends in
 * the same append as `MessageReceived`, and the sends start as soon as that append is stored.
 */
export interface SendAtReceipt {
  /** The worker named in the `SendClaimed` events. */
  readonly worker: string;
  /** Takes a send slot for each of these ports that may be sent at once; returns those it took. */
  claim(ports: readonly string[]): readonly string[];
  /** The append did not happen (a duplicate, a failure): gives the slots back. */
  cancel(ports: readonly string[]): void;
  /** The claims are stored (the stream is `known`): sends them, without waiting for the sends. */
  start(messageId: string, received: EventData<'MessageReceived'>, ports: readonly string[], known: KnownMessage): void;
}

export interface SubmitOptions {
  readonly store: EventStore;
  readonly blobs: BlobStore;
  readonly location: {
    readonly name: string;
    readonly receivePort: string;
    readonly adapter: string;
    readonly address?: string;
  };
  /** Absent: pass-through, and a large streamed body is never read into memory. */
  readonly pipeline?: CompiledPipeline;
  /** The routing live now (read on every message, so configuration changes apply at once). */
  readonly routing: () => Routing;
  readonly actor: string;
  /** Bodies up to this size are kept inside the event. Default 64 KiB. */
  readonly inlineLimitBytes?: number;
  /** The largest body a pipeline reads into memory. Default 16 MiB. */
  readonly maxPipelineBodyBytes?: number;
  /** Messages of this location may be replies: the key of correlation `set` is in `property`. */
  readonly follows?: { readonly set: string; readonly property: string };
  /** Send at receipt when a slot is free; absent: every send goes through the work queue. */
  readonly direct?: SendAtReceipt;
}

async function isRecorded(store: EventStore, messageId: string): Promise<boolean> {
  return (await store.streamRevision(streams.message(messageId))) !== undefined;
}

/** The id of part `index` of a batch the pipeline split, received with `sourceKey` at `location`. */
export function batchPartId(location: string, sourceKey: string, index: number): string {
  return messageIdFromSource(location, `${sourceKey}#${index}`);
}

/**
 * Whether the message of `sourceKey` at `location` is recorded (received or suspended). A batch
 * the pipeline split is recorded under its parts' ids, so it answers false for one: a hint for
 * receivers (`ReceiveContext.isReceived`), never what decides.
 */
export function receivedAt(store: EventStore, location: string): (sourceKey: string) => Promise<boolean> {
  return (sourceKey) => isRecorded(store, messageIdFromSource(location, sourceKey));
}

/**
 * The receive step of the engine: run the location's pipeline, route by the promoted properties,
 * and record each resulting message with an append that expects `no_stream`. A message id derived
 * from the source's natural key makes a redelivered source message a `duplicate`. A pipeline
 * failure or a message no subscription wants is recorded and suspended with its reason and body:
 * never dropped.
 */
export function createSubmit(options: SubmitOptions): (message: InboundMessage) => Promise<SubmitResult> {
  const inlineLimit = options.inlineLimitBytes ?? 64 * 1024;
  const { location } = options;
  const context = (messageId: string, extra: Partial<MessageContext> | undefined): MessageContext =>
    mergeContexts(
      {
        promoted: {
          'BTS.ReceivePortName': location.receivePort,
          'BTS.ReceiveLocationName': location.name,
          'BTS.InboundTransportType': location.adapter,
          ...(location.address === undefined ? {} : { 'BTS.InboundTransportLocation': location.address }),
        },
        written: { 'BTS.MessageID': messageId },
      },
      { promoted: extra?.promoted ?? {}, written: extra?.written ?? {} },
    );

  return async (inbound) => {
    const messageId = inbound.sourceKey ? messageIdFromSource(location.name, inbound.sourceKey) : newMessageId();
    // Cheap early answer for a redelivery; the `no_stream` append below is what guarantees it.
    if (inbound.sourceKey && (await isRecorded(options.store, messageId))) return { status: 'duplicate', messageId };
    const received = context(messageId, inbound.context);
    const original = await keepBody(inbound.body, options.blobs, inlineLimit);
    const base = {
      receiveLocation: location.name,
      receivePort: location.receivePort,
      adapter: location.adapter,
      ...(inbound.sourceKey === undefined ? {} : { sourceKey: inbound.sourceKey }),
      ...(inbound.contentType === undefined ? {} : { contentType: inbound.contentType }),
      ...(inbound.parts
        ? {
            parts: await Promise.all(
              inbound.parts.map(async (p) => ({
                name: p.name,
                ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
                body: await storeBody(Buffer.from(p.body), options.blobs, inlineLimit),
              })),
            ),
          }
        : {}),
    };

    let outputs: PipelineMessage[] = [];
    if (options.pipeline) {
      try {
        outputs = await options.pipeline({
          body: await readBody(original, options.blobs, options.maxPipelineBodyBytes ?? 16 * 1024 * 1024),
          ...(inbound.contentType === undefined ? {} : { contentType: inbound.contentType }),
          context: received,
        });
      } catch (error) {
        const reason = {
          code: error instanceof SignalboxError ? error.code : 'PIPELINE_FAILED',
          message: error instanceof Error ? error.message : String(error),
          retryable: false,
        };
        const { result } = await record(options, messageId, [
          receivedEvent(
            messageId,
            { ...base, body: original, context: received },
            { sendPorts: [], subscriptions: [] },
          ),
          { type: 'MessageSuspended', data: { messageId, stage: 'receive', reason } },
        ]);
        return result.status === 'duplicate' ? result : { status: 'suspended', messageId, reason: reason.message };
      }
    }

    const routing = options.routing();
    if (!outputs.some((output) => output.batch)) {
      const output = outputs[0];
      const body = output ? await storeBody(output.body, options.blobs, inlineLimit) : original;
      return recordRouted(options, messageId, { ...base, body, context: output?.context ?? received }, routing);
    }
    // A split: each message gets its own id (derived from the source key when there is one, so a
    // redelivered batch is a duplicate message by message) and a link to the batch.
    const ids: string[] = [];
    let anySuspended = false;
    for (const [i, output] of outputs.entries()) {
      const id = inbound.sourceKey ? batchPartId(location.name, inbound.sourceKey, i) : newMessageId();
      const body = await storeBody(output.body, options.blobs, inlineLimit);
      const ctx = mergeContexts(output.context, {
        promoted: {},
        written: {
          'BTS.MessageID': id,
          'BTS.InterchangeID': messageId,
          'BTS.InterchangeSequenceNumber': i + 1,
          'BTS.LastInterchangeMessage': i === outputs.length - 1,
        },
      });
      const batch = { batchId: messageId, index: i, count: outputs.length };
      const result = await recordRouted(options, id, { ...base, body, context: ctx }, routing, batch);
      if (result.status === 'received') ids.push(id);
      if (result.status === 'suspended') anySuspended = true;
    }
    if (ids.length === 0 && !anySuspended) return { status: 'duplicate', messageId };
    return { status: 'received', messageIds: ids };
  };
}

type ReceivedData = EventData<'MessageReceived'>;
type ReceivedBase = Omit<ReceivedData, 'messageId' | 'routing' | 'batch'>;
type Pending = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

function receivedEvent(
  messageId: string,
  data: ReceivedBase,
  routing: ReceivedData['routing'],
  batch?: ReceivedData['batch'],
): { type: 'MessageReceived'; data: ReceivedData } {
  return { type: 'MessageReceived', data: { ...data, messageId, routing, ...(batch ? { batch } : {}) } };
}

async function recordRouted(
  options: SubmitOptions,
  messageId: string,
  initial: ReceivedBase,
  routing: Routing,
  batch?: ReceivedData['batch'],
): Promise<SubmitResult> {
  let data = initial;
  const followed = await findConversation(options, data.context);
  if (followed) {
    data = {
      ...data,
      context: mergeContexts(data.context, {
        promoted: { 'BTS.CorrelationSet': followed.set, 'BTS.RequestMessageID': followed.requestMessageId },
        written: {},
      }),
    };
  }
  const decision = route(routing.subscriptions, data.context.promoted, routing.enabledPorts);
  const received = receivedEvent(messageId, data, decision, batch);
  if (decision.sendPorts.length > 0) {
    const { direct } = options;
    const claimed = direct?.claim(decision.sendPorts) ?? [];
    const claims: Pending[] = claimed.map((port) => ({
      type: 'SendClaimed',
      data: { messageId, port, attempt: 1, worker: direct!.worker },
    }));
    let recorded: Awaited<ReturnType<typeof record>>;
    try {
      recorded = await record(options, messageId, [received, ...claims]);
    } catch (error) {
      direct?.cancel(claimed);
      throw error;
    }
    const { result, known } = recorded;
    if (claimed.length > 0) {
      if (known) direct!.start(messageId, received.data, claimed, known);
      else direct!.cancel(claimed);
    }
    if (result.status === 'received' && followed) await recordFollowed(options, followed, messageId);
    return result;
  }
  const reason = 'no subscription matched the promoted properties';
  const { result } = await record(options, messageId, [
    received,
    { type: 'MessageUnroutable', data: { messageId, reason } },
    {
      type: 'MessageSuspended',
      data: { messageId, stage: 'route', reason: { code: 'UNROUTABLE', message: reason, retryable: false } },
    },
  ]);
  return result.status === 'duplicate' ? result : { status: 'suspended', messageId, reason };
}

/** The conversation a reply follows: its key is in the location's correlation property. */
async function findConversation(
  options: SubmitOptions,
  context: MessageContext,
): Promise<{ set: string; key: string; requestMessageId: string } | undefined> {
  const follows = options.follows;
  if (!follows) return undefined;
  const key = context.promoted[follows.property] ?? context.written[follows.property];
  if (key === undefined || key === null || key === '') return undefined;
  const events = await options.store.readStream(streams.correlation(follows.set, String(key)));
  const started = events.find((e) => e.type === 'CorrelationInitialized');
  if (!started || started.type !== 'CorrelationInitialized') return undefined;
  return { set: follows.set, key: String(key), requestMessageId: started.data.messageId };
}

async function recordFollowed(
  options: SubmitOptions,
  followed: { set: string; key: string; requestMessageId: string },
  messageId: string,
): Promise<void> {
  await options.store.append(
    streams.correlation(followed.set, followed.key),
    [
      makeEvent(
        'CorrelationFollowed',
        { set: followed.set, key: followed.key, messageId, requestMessageId: followed.requestMessageId },
        { actor: options.actor, correlationId: followed.requestMessageId },
      ),
    ],
    'any',
  );
}

/**
 * One append per message, expecting `no_stream`: a message is received once, whatever happens.
 * Also returns the stream as written (`known`), unless it was a duplicate.
 */
async function record(
  options: SubmitOptions,
  messageId: string,
  events: Pending[],
): Promise<{ result: SubmitResult; known?: KnownMessage }> {
  const newEvents: NewEvent[] = events.map((e) =>
    makeEvent(e.type, e.data as never, { actor: options.actor, correlationId: messageId }),
  );
  try {
    const written = await options.store.append(streams.message(messageId), newEvents, 'no_stream');
    return {
      result: { status: 'received', messageIds: [messageId] },
      known: { events: newEvents, revision: written.nextExpectedRevision },
    };
  } catch (error) {
    if (error instanceof WrongExpectedRevision) return { result: { status: 'duplicate', messageId } };
    throw error;
  }
}

async function keepBody(body: InboundMessage['body'], blobs: BlobStore, inlineLimit: number): Promise<BodyRef> {
  if (body instanceof Readable) {
    const { sha256, size } = await blobs.put(body);
    if (size > inlineLimit) return { kind: 'blob', sha256, size };
    // Small after all: inline it, so the event is self-contained.
    return storeBody(await readBody({ kind: 'blob', sha256, size }, blobs), blobs, inlineLimit);
  }
  return storeBody(Buffer.from(body.buffer, body.byteOffset, body.byteLength), blobs, inlineLimit);
}
