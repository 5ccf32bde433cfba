import type { InboundMessage, OutboundMessage } from '../../adapters/adapter.js';
import type { Conversations } from '../correlation/conversations.js';
import type { EventOf } from '../../domain/events/index.js';
import type { SendWork } from '../../bus/send-work.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { openBody, readBody } from '../message-body.js';
import { runMessageCommand, type CommandOutcome } from '../message-commands.js';
import { errorInfo } from './error-info.js';
import type { SendPorts } from './send-ports.js';

type Work = Pick<SendWork, 'messageId' | 'port' | 'attempt'>;
export type ReceivedEvent = RecordedEvent & EventOf<'MessageReceived'>;

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
  received: ReceivedEvent | undefined,
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
    const { body, contentType } = received.data;
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
      readBody: (maxBytes?: number) => readBody(body, blobs, maxBytes),
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
 * to a crash between the two.
 */
export async function recordSendResult(
  store: EventStore,
  ports: SendPorts,
  work: Work,
  result: SendResult,
  context: { actor: string; causationId: string; now: Date; conversations?: Conversations },
): Promise<CommandOutcome> {
  const port = ports.get(work.port);
  if (result.ok) await context.conversations?.afterSend(port, work.messageId, result, work.attempt, context.actor);
  return runMessageCommand(
    store,
    work.messageId,
    () =>
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
            retry: port?.retry ?? { count: 0, intervalMs: 0, backoff: 'fixed', maxIntervalMs: 0 },
            hasBackup: port?.hasBackup ?? false,
            now: context.now,
          },
    { actor: context.actor, causationId: context.causationId },
  );
}

export function receivedOf(events: readonly RecordedEvent[]): ReceivedEvent | undefined {
  return events.find((e): e is ReceivedEvent => e.type === 'MessageReceived');
}
