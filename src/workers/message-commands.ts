import type { EventData, EventType, SignalboxEvent } from '../domain/events/index.js';
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
  context: CommandContext,
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
        toNewEvents(decision, messageId, context),
        last ? last.revision : 'no_stream',
      );
      return { decision, events, state, revision: written.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= maxTries) throw error;
    }
  }
}

export interface CommandContext {
  readonly actor: string;
  readonly causationId?: string;
}

/**
 * A message's stream as this worker itself just wrote it: every event (their type and data) and
 * the revision of the last one. Enough to decide the next command without reading the stream.
 */
export interface KnownMessage {
  readonly events: readonly SignalboxEvent[];
  readonly revision: bigint;
}

/**
 * The stream as a command left it: the events it read, and the events it decided if it appended
 * them. Undefined for a stream that does not exist.
 */
export function knownAfter(outcome: CommandOutcome): KnownMessage | undefined {
  const last = outcome.events.at(-1);
  if (!last) return undefined;
  if (!outcome.decision.ok || outcome.revision === undefined)
    return { events: outcome.events, revision: last.revision };
  return { events: [...outcome.events, ...(outcome.decision.events as SignalboxEvent[])], revision: outcome.revision };
}

/**
 * `runMessageCommand` without the read when the stream is known: decides on the known state and
 * appends at the known revision. If anybody wrote in between (the append conflicts), or the known
 * state refuses the command (it may be out of date), it reads and decides as `runMessageCommand`.
 */
export async function runKnownMessageCommand(
  store: EventStore,
  messageId: string,
  known: KnownMessage | undefined,
  command: (state: MessageState, events: readonly SignalboxEvent[]) => MessageCommand,
  context: CommandContext,
): Promise<Pick<CommandOutcome, 'decision' | 'state' | 'revision'>> {
  if (known) {
    const state = foldMessage(known.events);
    const decision = decideMessage(state, command(state, known.events));
    if (decision.ok) {
      try {
        const written = await store.append(
          streams.message(messageId),
          toNewEvents(decision, messageId, context),
          known.revision,
        );
        return { decision, state, revision: written.nextExpectedRevision };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
      }
    }
  }
  return runMessageCommand(store, messageId, command, context);
}

function toNewEvents(decision: Decision & { ok: true }, messageId: string, context: CommandContext) {
  return decision.events.map((e) =>
    makeEvent(e.type as EventType, e.data as EventData<EventType>, {
      actor: context.actor,
      correlationId: messageId,
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
    }),
  );
}
