import type { InboundMessage, OutboundMessage } from '../../adapters/adapter.js';
import type { Conversations } from '../correlation/conversations.js';
import type { RetryPolicy } from '../../domain/config/index.js';
import type { EventData, EventOf, SignalboxEvent } from '../../domain/events/index.js';
import type { SendWork } from '../../bus/send-work.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { openBody, readBody } from '../message-body.js';
import { runKnownMessageCommand, type CommandOutcome, type KnownMessage } from '../message-commands.js';
import { errorInfo } from './error-info.js';
import type { SendPorts } from './send-ports.js';

type Work = Pick<SendWork, 'messageId' | 'port' | 'attempt'>;
export type ReceivedEvent = RecordedEvent & EventOf<'MessageReceived'>;

/** The error code of an attempt whose worker died mid-send: retried without using up a retry. */
export const WORKER_LOST = 'WORKER_LOST';

export type SendResult =
  | {
      ok: true;
      durationMs: number;
      address?: string;
      properties?: Record<string, string | number | boolean | null>;
      response?: Omit<InboundMessage, 'sourceKey'>;
    }
  | { ok: false; durationMs: number; error: { code: string; message: string; retryable: boolean } };

/** Sends one claimed attempt through its port's handler; never throws, the failure is the result. */
export async function sendAttempt(
  ports: SendPorts,
  blobs: BlobStore,
  work: Work,
  received: { readonly data: EventData<'MessageReceived'> } | undefined,
  transport: 'primary' | 'backup',
  signal: AbortSignal,
  conversations?: Conversations,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
  try {
    if (!received) throw new Error(`message ${work.messageId} has no MessageReceived`);
    const port = ports.get(work.port);
    if (!port) {
      return {
        ok: false,
        durationMs: elapsed(),
        error: { code: 'UNKNOWN_SEND_PORT', message: `no send port "${work.port}"`, retryable: false },
      };
    }
    const { body, contentType, parts } = received.data;
    const context = conversations
      ? conversations.outgoing(port, work.messageId, received.data.context)
      : received.data.context;
    const message: OutboundMessage = {
      messageId: work.messageId,
      port: work.port,
      attempt: work.attempt,
      context,
      ...(contentType === undefined ? {} : { contentType }),
      openBody: () => openBody(body, blobs),
      bodySize: body.size,
      readBody: (maxBytes?: number) => readBody(body, blobs, maxBytes),
      ...(parts && parts.length > 0
        ? {
            parts: parts.map((part) => ({
              name: part.name,
              ...(part.contentType === undefined ? {} : { contentType: part.contentType }),
              open: () => openBody(part.body, blobs),
            })),
          }
        : {}),
    };
    const sent = await port.handler(transport, context).send(message, signal);
    return { ok: true, durationMs: elapsed(), ...sent };
  } catch (error) {
    return { ok: false, durationMs: elapsed(), error: errorInfo(error) };
  }
}

/**
 * Records a send's outcome: `MessageSent`, or `SendFailed` (with the retry or the suspension).
 * A successful send's conversation (and its reply) is recorded first, so a reply is never lost
 * to a crash between the two. With `known` (the stream as the claim left it) it appends at the
 * claim's revision without reading the stream again.
 */
export async function recordSendResult(
  store: EventStore,
  ports: SendPorts,
  work: Work,
  result: SendResult,
  context: { actor: string; causationId: string; now: Date; conversations?: Conversations; known?: KnownMessage },
): Promise<Pick<CommandOutcome, 'decision' | 'state' | 'revision'>> {
  const port = ports.get(work.port);
  if (result.ok) await context.conversations?.afterSend(port, work.messageId, result, work.attempt, context.actor);
  return runKnownMessageCommand(
    store,
    work.messageId,
    context.known,
    (_state, events) =>
      result.ok
        ? {
            type: 'CompleteSend',
            port: work.port,
            attempt: work.attempt,
            durationMs: result.durationMs,
            ...(result.address === undefined ? {} : { address: result.address }),
            ...(result.properties === undefined ? {} : { outcome: result.properties }),
          }
        : {
            type: 'FailSend',
            port: work.port,
            attempt: work.attempt,
            error: result.error,
            retry: retryAllowingLostWorkers(port?.retry ?? NO_RETRY, events, work.port, result.error.code),
            hasBackup: port?.hasBackup ?? false,
            now: context.now,
          },
    { actor: context.actor, causationId: context.causationId },
  );
}

const NO_RETRY: RetryPolicy = { count: 0, intervalMs: 0, backoff: 'fixed', maxIntervalMs: 0 };

/**
 * The port's retry policy with one more try for every attempt on the current transport that
 * failed only because its worker died (`WORKER_LOST`, the failing one included): a dead worker
 * is not the destination's fault, so it must not use up the port's retries or move the send to
 * its backup transport. Counted the way the message decider counts failures on a transport:
 * from the last switch of transport or resume of the send.
 */
export function retryAllowingLostWorkers(
  retry: RetryPolicy,
  events: readonly SignalboxEvent[],
  port: string,
  failingCode: string,
): RetryPolicy {
  let lost = 0;
  for (const event of events) {
    if (event.type === 'SendFailed' && event.data.port === port) {
      const switched = event.data.nextTransport !== undefined && event.data.nextTransport !== event.data.transport;
      lost = switched ? 0 : lost + (event.data.error.code === WORKER_LOST ? 1 : 0);
    } else if (event.type === 'MessageResumed' && event.data.port === port) {
      lost = 0;
    }
  }
  if (failingCode === WORKER_LOST) lost++;
  return lost === 0 ? retry : { ...retry, count: retry.count + lost };
}

export function receivedOf(events: readonly RecordedEvent[]): ReceivedEvent | undefined {
  return events.find((e): e is ReceivedEvent => e.type === 'MessageReceived');
}
