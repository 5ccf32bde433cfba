import type { Decision } from '../domain/message/index.js';
import { route, type CompiledSubscription } from '../domain/routing/route.js';
import type { EventStore } from '../store/event-store.js';
import { runMessageCommand } from './message-commands.js';
import { receivedOf } from './sender/deliver.js';

/** What an operator asks, and who asks it: every such call is an event carrying its actor. */
export interface OperatorRequest {
  readonly messageId: string;
  /** The suspended send to act on; omit for a message suspended before routing. */
  readonly port?: string;
  readonly actor: string;
  readonly note?: string;
}

/**
 * Resumes a suspended send (as a new attempt), or a message suspended as unroutable or by its
 * pipeline: that one is routed again under the subscriptions live now.
 */
export async function resumeMessage(
  store: EventStore,
  request: OperatorRequest,
  subscriptions: () => { subscriptions: readonly CompiledSubscription[]; enabledPorts: ReadonlySet<string> },
): Promise<Decision> {
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
