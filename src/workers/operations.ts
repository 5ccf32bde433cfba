import { foldMessage, type Decision } from '../domain/message/index.js';
import { route, type CompiledSubscription } from '../domain/routing/route.js';
import type { EventStore } from '../store/event-store.js';
import { runMessageCommand } from './message-commands.js';
import { streams } from '../domain/streams.js';
import type { Resubmit } from './resubmit.js';
import { receivedOf, type ReceivedEvent } from './sender/deliver.js';

/** What an operator asks, and who asks it: every such call is an event carrying its actor. */
export interface OperatorRequest {
  readonly messageId: string;
  /** The suspended send to act on; omit for a message suspended before routing. */
  readonly port?: string;
  readonly actor: string;
  readonly note?: string;
}

/**
 * Resumes a suspended send (as a new attempt), or a message suspended as unroutable: that one is
 * routed again under the subscriptions live now. A message that failed its receive pipeline is
 * resubmitted through the pipeline live now (`resubmit`): the result is received as new messages
 * and the original ends, terminated with a link to them.
 */
export async function resumeMessage(
  store: EventStore,
  request: OperatorRequest,
  subscriptions: () => { subscriptions: readonly CompiledSubscription[]; enabledPorts: ReadonlySet<string> },
  resubmit?: Resubmit,
): Promise<Decision> {
  if (request.port === undefined) {
    const events = await store.readStream(streams.message(request.messageId));
    const state = foldMessage(events);
    const received = receivedOf(events);
    if (state.status === 'suspended' && state.suspendedStage === 'receive' && received) {
      return resubmitMessage(store, request, received, resubmit);
    }
  }
  const outcome = await runMessageCommand(
    store,
    request.messageId,
    (_state, events) => {
      if (request.port !== undefined) return { type: 'Resume', port: request.port, ...note(request) };
      const received = receivedOf(events);
      const live = subscriptions();
      const routing = route(live.subscriptions, received?.data.context.promoted ?? {}, live.enabledPorts);
      return { type: 'Resume', routing, ...note(request) };
    },
    { actor: request.actor },
  );
  return outcome.decision;
}

async function resubmitMessage(
  store: EventStore,
  request: OperatorRequest,
  received: ReceivedEvent,
  resubmit: Resubmit | undefined,
): Promise<Decision> {
  if (!resubmit) {
    return {
      ok: false,
      code: 'NOT_RESUMABLE',
      reason: 'the message failed its receive pipeline; resubmitting it needs the engine',
    };
  }
  const outcome = await resubmit(received, request.actor);
  if (!outcome.ok) return { ok: false, code: 'NOT_RESUMABLE', reason: `${outcome.code}: ${outcome.reason}` };
  const ended = await runMessageCommand(
    store,
    request.messageId,
    () => ({ type: 'Terminate', ...note(request), resubmittedAs: outcome.messageIds }),
    { actor: request.actor },
  );
  return ended.decision;
}

/** Ends a suspended send, or a suspended message, for good. */
export async function terminateMessage(store: EventStore, request: OperatorRequest): Promise<Decision> {
  const outcome = await runMessageCommand(
    store,
    request.messageId,
    () => ({ type: 'Terminate', ...(request.port === undefined ? {} : { port: request.port }), ...note(request) }),
    { actor: request.actor },
  );
  return outcome.decision;
}

function note(request: OperatorRequest): { note?: string } {
  return request.note === undefined ? {} : { note: request.note };
}
