import type { InboundMessage, SubmitResult } from '../../adapters/adapter.js';
import { mergeContexts } from '../../domain/context/index.js';
import type { MessageContext } from '../../domain/events/index.js';
import { streams } from '../../domain/streams.js';
import type { EventStore } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import type { SendPortRuntime } from '../sender/send-ports.js';

export type ResponseSubmitter = (port: SendPortRuntime, response: InboundMessage) => Promise<SubmitResult>;

/**
 * Conversations started by sends: the key a send carries (made by the engine and written into
 * the outgoing message, or handed back by the transport), the `CorrelationInitialized` that lets
 * a later reply find its request, and the reply of a solicit-response send, received as a new
 * message correlated to its request.
 */
export class Conversations {
  constructor(
    private readonly store: EventStore,
    private readonly submitResponse: ResponseSubmitter,
  ) {}

  /** The outgoing context: with the engine-made key in the correlation property, if the port starts one. */
  outgoing(port: SendPortRuntime | undefined, messageId: string, context: MessageContext): MessageContext {
    const correlation = port?.correlation;
    if (!correlation || correlation.keySource !== 'engine') return context;
    // The message id is the key: stable across retries, so a late reply to attempt 1 still matches.
    return mergeContexts(context, { promoted: {}, written: { [correlation.property]: messageId } });
  }

  /** After a successful send: record the conversation it started, and receive its reply if it had one. */
  async afterSend(
    port: SendPortRuntime | undefined,
    messageId: string,
    outcome: {
      properties?: Record<string, string | number | boolean | null>;
      response?: Omit<InboundMessage, 'sourceKey'>;
    },
    attempt: number,
    actor: string,
  ): Promise<void> {
    if (!port) return;
    const correlation = port.correlation;
    if (correlation) {
      const key = correlation.keySource === 'engine' ? messageId : outcome.properties?.[correlation.property];
      if (typeof key === 'string' && key.length > 0) {
        const expiresAt = new Date(Date.now() + correlation.timeoutMs).toISOString();
        await this.store.append(
          streams.correlation(correlation.set, key),
          [
            makeEvent(
              'CorrelationInitialized',
              { set: correlation.set, key, messageId, port: port.name, keySource: correlation.keySource, expiresAt },
              { actor, correlationId: messageId },
            ),
          ],
          'any',
        );
      }
    }
    if (!outcome.response) return;
    const set = correlation?.set ?? port.name;
    const reply: InboundMessage = {
      ...outcome.response,
      // One reply per attempt: a retried request that is answered again is a new reply.
      sourceKey: `${messageId}:${attempt}`,
      context: mergeContexts(
        { promoted: outcome.response.context?.promoted ?? {}, written: outcome.response.context?.written ?? {} },
        { promoted: { 'BTS.CorrelationSet': set, 'BTS.RequestMessageID': messageId }, written: {} },
      ),
    };
    const result = await this.submitResponse(port, reply);
    if (result.status === 'duplicate') return;
    const replyId = result.status === 'received' ? result.messageIds[0]! : result.messageId;
    await this.store.append(
      streams.correlation(set, messageId),
      [
        makeEvent(
          'CorrelationInitialized',
          { set, key: messageId, messageId, port: port.name, keySource: 'engine' },
          { actor, correlationId: messageId },
        ),
        makeEvent(
          'CorrelationFollowed',
          { set, key: messageId, messageId: replyId, requestMessageId: messageId },
          {
            actor,
            correlationId: messageId,
          },
        ),
      ],
      'any',
    );
  }
}
