import type { EventData, EventType } from '../domain/events/index.js';
import {
  decideMessage,
  foldMessage,
  type Decision,
  type MessageCommand,
  type MessageState,
} from '../domain/message/index.js';
import { streams } from '../domain/streams.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { WrongExpectedRevision } from '../store/errors.js';
import { makeEvent } from '../store/make-event.js';

export interface CommandOutcome {
  readonly decision: Decision;
  /** The message's events as read for the decision (before the decided ones). */
  readonly events: readonly RecordedEvent[];
  readonly state: MessageState;
  /** The stream's revision after the append, when something was written. */
  readonly revision?: bigint;
}

/**
 * Reads a message, decides a command on its state, and appends the decided events expecting the
 * revision it read. When somebody else wrote in between, it reads again and decides again, so the
 * decision is always taken on the latest state and two deciders can never both win.
 */
export async function runMessageCommand(
  store: EventStore,
  messageId: string,
  command: (state: MessageState, events: readonly RecordedEvent[]) => MessageCommand,
  context: { actor: string; causationId?: string },
  maxTries = 8,
): Promise<CommandOutcome> {
  const stream = streams.message(messageId);
  for (let attempt = 1; ; attempt++) {
    const events = await store.readStream(stream);
    const state = foldMessage(events);
    const decision = decideMessage(state, command(state, events));
    if (!decision.ok) return { decision, events, state };
    const last = events.at(-1);
    try {
      const written = await store.append(
        stream,
        decision.events.map((e) =>
          makeEvent(e.type as EventType, e.data as EventData<EventType>, {
            actor: context.actor,
            correlationId: messageId,
            ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
          }),
        ),
        last ? last.revision : 'no_stream',
      );
      return { decision, events, state, revision: written.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= maxTries) throw error;
    }
  }
}
