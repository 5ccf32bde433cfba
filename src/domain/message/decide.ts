import type { EventData } from '../events/index.js';
import { retryDelayMs, type RetryPolicy } from '../config/retry.js';
import type { MessageState, SendState } from './state.js';

type ErrorInfo = EventData<'SendFailed'>['error'];

export type MessageCommand =
  | TimeOutCorrelation
  | { type: 'ClaimSend'; port: string; attempt: number; worker: string; now: Date }
  | {
      type: 'CompleteSend';
      port: string;
      attempt: number;
      durationMs: number;
      address?: string;
      outcome?: EventData<'MessageSent'>['outcome'];
    }
  | {
      type: 'FailSend';
      port: string;
      attempt: number;
      error: ErrorInfo;
      retry: RetryPolicy;
      hasBackup: boolean;
      now: Date;
    }
  | { type: 'Resume'; port?: string; routing?: EventData<'MessageResumed'>['routing']; note?: string }
  | { type: 'Terminate'; port?: string; note?: string; resubmittedAs?: readonly string[] };
/** No reply followed the correlation a send started: suspend that send, to be resent on resume. */
export type TimeOutCorrelation = { type: 'TimeOutCorrelation'; port: string; set: string; key: string };

/** What the decider wants written: `{type, data}` pairs, in order, for one append. */
export type Decision =
  | { ok: true; events: { type: string; data: Record<string, unknown> }[] }
  | { ok: false; code: RejectionCode; reason: string };

export type RejectionCode =
  | 'NO_MESSAGE'
  | 'NOT_ROUTED_TO_PORT'
  | 'NOT_CLAIMABLE'
  | 'NOT_DUE'
  | 'STALE_ATTEMPT'
  | 'NOT_CLAIMED'
  | 'NOT_SUSPENDED'
  | 'STILL_UNROUTABLE'
  | 'NOT_RESUMABLE'
  | 'ALREADY_FINAL';

const reject = (code: RejectionCode, reason: string): Decision => ({ ok: false, code, reason });
const emit = (...events: { type: string; data: Record<string, unknown> }[]): Decision => ({ ok: true, events });

function sendOf(state: MessageState, port: string): SendState | Decision {
  if (state.status === 'none' || !state.messageId) return reject('NO_MESSAGE', 'no such message');
  const send = state.sends[port];
  return send ?? reject('NOT_ROUTED_TO_PORT', `message ${state.messageId} is not routed to port ${port}`);
}

const isDecision = (value: SendState | Decision): value is Decision => 'ok' in value;

/**
 * The message lifecycle: which events a command produces, given the message's state. Pure:
 * the caller appends the events with the revision it folded, so two workers deciding at once
 * cannot both win.
 */
export function decideMessage(state: MessageState, command: MessageCommand): Decision {
  const messageId = state.messageId ?? '';
  switch (command.type) {
    case 'ClaimSend': {
      if (state.status === 'none') return reject('NO_MESSAGE', 'no such message');
      if (state.status !== 'active') return reject('NOT_CLAIMABLE', `message is ${state.status}`);
      const send = sendOf(state, command.port);
      if (isDecision(send)) return send;
      if (send.status !== 'pending' && send.status !== 'retrying') {
        return reject('NOT_CLAIMABLE', `send to ${command.port} is ${send.status}`);
      }
      if (command.attempt !== send.attempt) {
        return reject('STALE_ATTEMPT', `attempt ${command.attempt} is not the next one (${send.attempt})`);
      }
      if (send.nextRetryAt && command.now.getTime() < Date.parse(send.nextRetryAt)) {
        return reject('NOT_DUE', `attempt ${send.attempt} is due at ${send.nextRetryAt}`);
      }
      return emit({
        type: 'SendClaimed',
        data: { messageId, port: command.port, attempt: command.attempt, worker: command.worker },
      });
    }
    case 'CompleteSend': {
      const send = sendOf(state, command.port);
      if (isDecision(send)) return send;
      if (send.status !== 'claimed' || send.attempt !== command.attempt) {
        return reject('NOT_CLAIMED', `attempt ${command.attempt} to ${command.port} is not the claimed one`);
      }
      return emit({
        type: 'MessageSent',
        data: {
          messageId,
          port: command.port,
          attempt: command.attempt,
          transport: send.transport,
          durationMs: command.durationMs,
          ...(command.address === undefined ? {} : { address: command.address }),
          ...(command.outcome === undefined ? {} : { outcome: command.outcome }),
        },
      });
    }
    case 'FailSend': {
      const send = sendOf(state, command.port);
      if (isDecision(send)) return send;
      if (send.status !== 'claimed' || send.attempt !== command.attempt) {
        return reject('NOT_CLAIMED', `attempt ${command.attempt} to ${command.port} is not the claimed one`);
      }
      const failed = {
        messageId,
        port: command.port,
        attempt: command.attempt,
        transport: send.transport,
        error: command.error,
      };
      const failures = send.failuresOnTransport + 1;
      const mayRetry = command.error.retryable !== false && failures <= command.retry.count;
      if (mayRetry) {
        const due = new Date(command.now.getTime() + retryDelayMs(command.retry, failures));
        return emit({ type: 'SendFailed', data: { ...failed, nextRetryAt: due.toISOString() } });
      }
      if (send.transport === 'primary' && command.hasBackup) {
        return emit({
          type: 'SendFailed',
          data: { ...failed, nextRetryAt: command.now.toISOString(), nextTransport: 'backup' },
        });
      }
      return emit(
        { type: 'SendFailed', data: failed },
        { type: 'MessageSuspended', data: { messageId, port: command.port, stage: 'send', reason: command.error } },
      );
    }
    case 'Resume': {
      if (command.port !== undefined) {
        const send = sendOf(state, command.port);
        if (isDecision(send)) return send;
        if (send.status !== 'suspended') return reject('NOT_SUSPENDED', `send to ${command.port} is ${send.status}`);
        return emit({ type: 'MessageResumed', data: { messageId, port: command.port, ...note(command.note) } });
      }
      if (state.status !== 'suspended') return reject('NOT_SUSPENDED', `message is ${state.status}`);
      if (state.suspendedStage === 'receive') {
        // Routing it as it is would skip the validation it failed: it is resubmitted instead.
        return reject(
          'NOT_RESUMABLE',
          'the message failed its receive pipeline: resume resubmits it through the pipeline',
        );
      }
      if (state.suspendedStage === 'route' && (command.routing?.sendPorts.length ?? 0) === 0) {
        return reject('STILL_UNROUTABLE', 'no subscription matches the message under the configuration now live');
      }
      return emit({
        type: 'MessageResumed',
        data: { messageId, ...(command.routing ? { routing: command.routing } : {}), ...note(command.note) },
      });
    }
    case 'TimeOutCorrelation': {
      const send = sendOf(state, command.port);
      if (isDecision(send)) return send;
      if (send.status !== 'sent') return reject('NOT_CLAIMABLE', `send to ${command.port} is ${send.status}`);
      return emit({
        type: 'MessageSuspended',
        data: {
          messageId,
          port: command.port,
          stage: 'correlation',
          reason: {
            code: 'CORRELATION_TIMEOUT',
            message: `no reply followed correlation ${command.set}/${command.key} in time`,
            retryable: true,
          },
          nextAttempt: send.attempt + 1,
        },
      });
    }
    case 'Terminate': {
      if (command.port !== undefined) {
        const send = sendOf(state, command.port);
        if (isDecision(send)) return send;
        if (send.status === 'sent' || send.status === 'terminated') {
          return reject('ALREADY_FINAL', `send to ${command.port} is ${send.status}`);
        }
        if (send.status !== 'suspended') return reject('NOT_SUSPENDED', `send to ${command.port} is ${send.status}`);
        return emit({ type: 'MessageTerminated', data: { messageId, port: command.port, ...note(command.note) } });
      }
      if (state.status !== 'suspended') return reject('NOT_SUSPENDED', `message is ${state.status}`);
      const resubmitted = command.resubmittedAs ? { resubmittedAs: [...command.resubmittedAs] } : {};
      return emit({ type: 'MessageTerminated', data: { messageId, ...note(command.note), ...resubmitted } });
    }
  }
}

function note(text: string | undefined): { note?: string } {
  return text === undefined ? {} : { note: text };
}
