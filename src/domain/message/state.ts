import type { EventData, EventType, SignalboxEvent } from '../events/index.js';

export type SendStatus = 'pending' | 'claimed' | 'retrying' | 'sent' | 'suspended' | 'terminated';

/** One routed send of a message: to one port, through its attempts. */
export interface SendState {
  readonly status: SendStatus;
  /** The attempt a worker may claim next (when pending or retrying), or the one claimed. */
  readonly attempt: number;
  readonly transport: 'primary' | 'backup';
  /** Failed attempts on the current transport, for the retry count. */
  readonly failuresOnTransport: number;
  readonly nextRetryAt?: string;
  readonly claimedBy?: string;
  readonly lastError?: EventData<'SendFailed'>['error'];
}

export type MessageStatus = 'none' | 'active' | 'suspended' | 'terminated';

export interface MessageState {
  readonly status: MessageStatus;
  readonly messageId?: string;
  /** Why the whole message is suspended (pipeline failure, unroutable), when it is. */
  readonly suspendedStage?: string;
  readonly sends: Readonly<Record<string, SendState>>;
}

export const initialMessageState: MessageState = { status: 'none', sends: {} };

const pending = (): SendState => ({ status: 'pending', attempt: 1, transport: 'primary', failuresOnTransport: 0 });

function withSend(state: MessageState, port: string, change: (send: SendState) => SendState): MessageState {
  const send = state.sends[port];
  if (!send) return state;
  return { ...state, sends: { ...state.sends, [port]: change(send) } };
}

function route(state: MessageState, ports: readonly string[]): MessageState {
  const sends: Record<string, SendState> = { ...state.sends };
  for (const port of ports) sends[port] ??= pending();
  return { ...state, sends };
}

type Handlers = { [T in EventType]?: (state: MessageState, data: EventData<T>) => MessageState };

const handlers: Handlers = {
  MessageReceived: (state, data) =>
    route({ ...state, status: 'active', messageId: data.messageId }, data.routing.sendPorts),
  MessageUnroutable: (state) => state,
  SendClaimed: (state, data) =>
    withSend(state, data.port, (send) => ({
      ...send,
      status: 'claimed',
      attempt: data.attempt,
      claimedBy: data.worker,
    })),
  MessageSent: (state, data) =>
    withSend(state, data.port, (send) => ({ ...send, status: 'sent', transport: data.transport })),
  SendFailed: (state, data) =>
    withSend(state, data.port, (send) => {
      const next = data.nextTransport ?? data.transport;
      const failures = next === data.transport ? send.failuresOnTransport + 1 : 0;
      const base = { ...send, lastError: data.error, attempt: data.attempt + 1, failuresOnTransport: failures };
      // Without a next attempt the port gave up; the MessageSuspended appended with it says so.
      if (data.nextRetryAt === undefined) return base;
      return { ...base, status: 'retrying', nextRetryAt: data.nextRetryAt, transport: next };
    }),
  MessageSuspended: (state, data) =>
    data.port === undefined
      ? { ...state, status: 'suspended', suspendedStage: data.stage }
      : withSend(state, data.port, (send) => ({
          ...send,
          status: 'suspended',
          attempt: data.nextAttempt ?? send.attempt,
        })),
  MessageResumed: (state, data) => {
    if (data.port !== undefined) {
      return withSend(state, data.port, (send) => ({
        ...send,
        status: 'pending',
        transport: 'primary',
        failuresOnTransport: 0,
        nextRetryAt: undefined,
      }));
    }
    const { suspendedStage: _dropped, ...rest } = state;
    return route({ ...rest, status: 'active' }, data.routing?.sendPorts ?? []);
  },
  MessageTerminated: (state, data) =>
    data.port === undefined
      ? { ...state, status: 'terminated' }
      : withSend(state, data.port, (send) => ({ ...send, status: 'terminated' })),
  MessageReplayed: (state) => state,
};

/** Folds one event of a `message-{id}` stream into the message's state. */
export function evolveMessage(state: MessageState, event: SignalboxEvent): MessageState {
  const handler = handlers[event.type] as ((s: MessageState, d: SignalboxEvent['data']) => MessageState) | undefined;
  return handler ? handler(state, event.data) : state;
}

export function foldMessage(events: Iterable<SignalboxEvent>): MessageState {
  let state = initialMessageState;
  for (const event of events) state = evolveMessage(state, event);
  return state;
}
