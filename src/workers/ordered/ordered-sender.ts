import { streams } from '../../domain/streams.js';
import type { BlobStore } from '../../store/blob/blob-store.js';
import type { EventStore } from '../../store/event-store.js';
import type { SingletonContext } from '../lease/index.js';
import type { Logger } from '../logger.js';
import { knownAfter, runMessageCommand } from '../message-commands.js';
import { receivedOf, recordSendResult, sendAttempt, WORKER_LOST } from '../sender/deliver.js';
import type { SendPorts } from '../sender/send-ports.js';
import type { Conversations } from '../correlation/conversations.js';
import { OrderedBacklog, type BacklogEntry } from './backlog.js';
import { abortableSleep as sleep } from '../abortable-sleep.js';

export interface OrderedSenderOptions {
  readonly store: EventStore;
  readonly blobs: BlobStore;
  readonly ports: SendPorts;
  readonly port: string;
  /** On a failed send: stop the port until an operator resumes or terminates, or suspend and go on. */
  readonly onFailure: 'stop' | 'suspend';
  readonly logger: Logger;
  /** How often a stopped port looks whether its head message was resumed. Default 500 ms. */
  readonly pollMs?: number;
  readonly now?: () => Date;
  readonly conversations?: Conversations;
}

type Step = 'next' | 'again' | { wait: number };

/**
 * The sender of an ordered port, run by the holder of lease `port-{name}`: it enqueues every
 * message routed to the port in `port-{name}` (fenced), and sends them strictly in sequence, one
 * at a time. After a failover the new holder starts from the first message whose send is not
 * finished, so order survives it.
 */
export async function runOrderedSender(context: SingletonContext, options: OrderedSenderOptions): Promise<void> {
  const { store, port } = options;
  const signal = context.signal;
  const actor = `worker:${context.holder}`;
  const fenced = await context.fence(streams.port(port));
  const backlog = await OrderedBacklog.load(store, port, fenced, actor);

  const enqueuing = (async () => {
    for await (const event of store.subscribeAll({
      after: backlog.checkpoint,
      filter: { streamPrefixes: ['message-'], eventTypes: ['MessageReceived', 'MessageResumed'] },
      signal,
    })) {
      await backlog.offer(event);
    }
  })();

  const sending = (async () => {
    let next = backlog.start;
    while (!signal.aborted) {
      for (const late of backlog.resumedBehind(next)) {
        await deliverUntilPassed(late, options, actor, signal);
        backlog.resumedDone(late);
      }
      const entry = backlog.at(next);
      if (!entry) {
        await backlog.waitForMore(next, signal);
        continue;
      }
      const step = await deliver(entry, options, actor, signal);
      if (step === 'next') await backlog.movedTo(++next);
      else if (step !== 'again') await sleep(step.wait, signal);
    }
  })();

  // Either loop failing (deposed, store down) ends the handler; the lease module restarts it.
  await Promise.race([enqueuing, sending]);
  await Promise.allSettled([enqueuing, sending]);
}

/** A resumed send the sender had moved past: sent (or suspended again) before the head goes on. */
async function deliverUntilPassed(
  entry: BacklogEntry,
  options: OrderedSenderOptions,
  actor: string,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    const step = await deliver(entry, { ...options, onFailure: 'suspend' }, actor, signal);
    if (step === 'next') return;
    if (step !== 'again') await sleep(step.wait, signal);
  }
}

/** Takes the head message one step further; says whether to move on, try again, or wait. */
async function deliver(
  entry: BacklogEntry,
  options: OrderedSenderOptions,
  actor: string,
  signal: AbortSignal,
): Promise<Step> {
  const { store, port } = options;
  const now = options.now ?? (() => new Date());
  const poll = { wait: options.pollMs ?? 500 };
  const claim = await runMessageCommand(
    store,
    entry.messageId,
    (state) => ({ type: 'ClaimSend', port, attempt: state.sends[port]?.attempt ?? 1, worker: actor, now: now() }),
    { actor, causationId: `${port}#${entry.sequence}` },
  );
  if (!claim.decision.ok) {
    const send = claim.state.sends[port];
    if (claim.state.status === 'terminated' || send?.status === 'sent' || send?.status === 'terminated') return 'next';
    if (send?.status === 'suspended') return options.onFailure === 'suspend' ? 'next' : poll;
    if (claim.decision.code === 'NOT_DUE')
      return { wait: Math.max(0, Date.parse(send?.nextRetryAt ?? '') - now().getTime()) };
    if (send?.status === 'claimed') {
      // The previous holder died mid-send (it no longer holds the lease): record the lost attempt,
      // which does not use up a retry.
      await recordSendResult(
        store,
        options.ports,
        { messageId: entry.messageId, port, attempt: send.attempt },
        {
          ok: false,
          durationMs: 0,
          error: { code: WORKER_LOST, message: 'the previous holder of the port stopped mid-send', retryable: true },
        },
        {
          actor,
          causationId: `${port}#${entry.sequence}`,
          now: now(),
          known: knownAfter(claim),
        },
      );
      return 'again';
    }
    // Suspended before routing finished, or not yet routed here: wait for the operator.
    return poll;
  }
  const send = claim.state.sends[port];
  const work = { messageId: entry.messageId, port, attempt: send?.attempt ?? 1 };
  const result = await sendAttempt(
    options.ports,
    options.blobs,
    work,
    receivedOf(claim.events),
    send?.transport ?? 'primary',
    signal,
    options.conversations,
  );
  const recorded = await recordSendResult(store, options.ports, work, result, {
    actor,
    causationId: `${port}#${entry.sequence}`,
    now: now(),
    known: knownAfter(claim),
    ...(options.conversations ? { conversations: options.conversations } : {}),
  });
  if (!result.ok) {
    options.logger.warn({ port, messageId: entry.messageId, error: result.error }, 'ordered send failed');
  }
  return recorded.decision.ok && result.ok ? 'next' : 'again';
}
