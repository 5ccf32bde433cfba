import type Database from 'better-sqlite3';
import { pipelineStepSchema, type PipelineStep } from '../domain/config/bindings.js';
import type { MessageState } from '../domain/message/index.js';
import { foldMessage } from '../domain/message/index.js';
import { compileSubscriptions, type CompiledSubscription } from '../domain/routing/route.js';
import { streams } from '../domain/streams.js';
import { configItems } from '../projections/queries/index.js';
import type { EventStore } from '../store/event-store.js';
import { resumeMessage, terminateMessage } from '../workers/operations.js';
import type { Resubmit } from '../workers/resubmit.js';

export type MessageAction = 'resume' | 'terminate';

export interface LiveRouting {
  readonly subscriptions: readonly CompiledSubscription[];
  readonly enabledPorts: ReadonlySet<string>;
}

/** The subscriptions and send ports live now, as the configuration view records them. */
export function liveRouting(db: Database.Database): LiveRouting {
  const subscriptions = configItems(db, { kind: 'subscription' }).map((item) => ({
    name: item.name,
    sendPort: String(item.definition.sendPort),
    filter: String(item.definition.filter),
    enabled: item.enabled,
  }));
  return {
    subscriptions: compileSubscriptions(subscriptions),
    enabledPorts: new Set(configItems(db, { kind: 'send-port', enabled: true }).map((p) => p.name)),
  };
}

/** Each receive location's pipeline as the configuration view records it. */
export function livePipelines(db: Database.Database): Map<string, PipelineStep[]> {
  return new Map(
    configItems(db, { kind: 'receive-location' }).map((item) => [
      item.name,
      pipelineStepSchema.array().parse(item.definition.pipeline ?? [{ component: 'passthrough' }]),
    ]),
  );
}

/** What is suspended in a message: the whole message (undefined), or each suspended send's port. */
export function suspendedTargets(state: MessageState): (string | undefined)[] {
  if (state.status === 'suspended') return [undefined];
  return Object.entries(state.sends)
    .filter(([, send]) => send.status === 'suspended')
    .map(([port]) => port);
}

export type ActionResult =
  | { readonly messageId: string; readonly ok: true; readonly ports: (string | null)[] }
  | { readonly messageId: string; readonly ok: false; readonly code: string; readonly reason: string };

/**
 * Resumes or terminates what is suspended in one message: the port named, or else everything
 * suspended in it (the whole message, or each suspended send). Each step is the message
 * decider's command, appended with the actor, so the audit log shows who did it.
 */
export async function actOnMessage(
  store: EventStore,
  action: MessageAction,
  messageId: string,
  request: { port?: string | undefined; note?: string | undefined; actor: string },
  routing: () => LiveRouting,
  resubmit?: Resubmit,
): Promise<ActionResult> {
  let targets: (string | undefined)[];
  if (request.port !== undefined) {
    targets = [request.port];
  } else {
    const state = foldMessage(await store.readStream(streams.message(messageId)));
    if (state.status === 'none') return { messageId, ok: false, code: 'NO_MESSAGE', reason: 'no such message' };
    targets = suspendedTargets(state);
    if (targets.length === 0) {
      return { messageId, ok: false, code: 'NOT_SUSPENDED', reason: `nothing in message ${messageId} is suspended` };
    }
  }
  const done: (string | null)[] = [];
  for (const port of targets) {
    const operator = {
      messageId,
      actor: request.actor,
      ...(port === undefined ? {} : { port }),
      ...(request.note === undefined ? {} : { note: request.note }),
    };
    const decision =
      action === 'resume'
        ? await resumeMessage(store, operator, routing, resubmit)
        : await terminateMessage(store, operator);
    if (!decision.ok) {
      if (done.length > 0) break;
      return { messageId, ok: false, code: decision.code, reason: decision.reason };
    }
    done.push(port ?? null);
  }
  return { messageId, ok: true, ports: done };
}
