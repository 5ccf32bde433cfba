import type { EventData, NewEvent } from '../domain/events/index.js';
import { streams } from '../domain/streams.js';
import type { EventStore } from '../store/event-store.js';
import { WrongExpectedRevision } from '../store/errors.js';
import { makeEvent } from '../store/make-event.js';
import { messageIdFromSource } from '../store/message-id.js';
import { receivedOf } from './sender/deliver.js';

export interface ReplayRequest {
  /** Names the replay: running the same id again sends nothing new. */
  readonly replayId: string;
  /** The originals, in the order to replay them. */
  readonly messageIds: readonly string[];
  /** Re-send to this port; absent: to each port the original was routed to. */
  readonly toPort?: string;
  /** The send ports that exist now; a replay to any other is refused before anything is written. */
  readonly knownPorts: ReadonlySet<string>;
  readonly actor: string;
  /** List what would be sent, write nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export type ReplayStatus =
  /** dry run: this copy would be sent */
  | 'would-replay'
  | 'replayed'
  /** this replay id already made this copy: nothing new */
  | 'already-replayed'
  | 'not-found'
  /** the original was never routed and no port was named */
  | 'no-port'
  | 'unknown-port';

export interface ReplayItem {
  readonly original: string;
  readonly port?: string;
  readonly copy?: string;
  readonly status: ReplayStatus;
}

/** The copy's id follows from the replay id, the original and the port: a rerun finds it taken. */
export function replayCopyId(replayId: string, original: string, port: string): string {
  return messageIdFromSource(`replay:${replayId}`, `${original}\u0000${port}`);
}

/**
 * Re-sends recorded messages. Each copy is a new message whose stream starts with the original's
 * receipt (same body, same context, routed to the chosen port) and `MessageReplayed` linking it
 * to the original and the replay id; the dispatcher then sends it like any routed message. The
 * copy's stream must not exist yet, so a replay run twice, or two operators running it at once,
 * makes each copy once.
 */
export async function replayMessages(store: EventStore, request: ReplayRequest): Promise<ReplayItem[]> {
  if (request.toPort !== undefined && !request.knownPorts.has(request.toPort)) {
    throw new Error(`send port "${request.toPort}" does not exist`);
  }
  const items: ReplayItem[] = [];
  let done = 0;
  for (const original of request.messageIds) {
    const received = receivedOf(await store.readStream(streams.message(original)));
    if (!received) {
      items.push({ original, status: 'not-found' });
    } else {
      const ports = request.toPort === undefined ? received.data.routing.sendPorts : [request.toPort];
      if (ports.length === 0) items.push({ original, status: 'no-port' });
      for (const port of ports) items.push(await replayOne(store, request, received.data, port));
    }
    request.onProgress?.(++done, request.messageIds.length);
  }
  return items;
}

async function replayOne(
  store: EventStore,
  request: ReplayRequest,
  original: EventData<'MessageReceived'>,
  port: string,
): Promise<ReplayItem> {
  const copy = replayCopyId(request.replayId, original.messageId, port);
  const item = { original: original.messageId, port, copy };
  if (!request.knownPorts.has(port)) return { ...item, status: 'unknown-port' };
  const stream = streams.message(copy);
  if (request.dryRun) {
    const exists = (await store.streamRevision(stream)) !== undefined;
    return { ...item, status: exists ? 'already-replayed' : 'would-replay' };
  }
  const context = { actor: request.actor, causationId: `replay-${request.replayId}` };
  const events: NewEvent[] = [
    makeEvent(
      'MessageReceived',
      {
        messageId: copy,
        receiveLocation: original.receiveLocation,
        ...(original.receivePort === undefined ? {} : { receivePort: original.receivePort }),
        adapter: original.adapter,
        sourceKey: `replay:${request.replayId}:${original.messageId}`,
        ...(original.contentType === undefined ? {} : { contentType: original.contentType }),
        body: original.body,
        ...(original.parts === undefined ? {} : { parts: original.parts }),
        context: {
          promoted: original.context.promoted,
          written: { ...original.context.written, 'BTS.MessageID': copy },
        },
        routing: { sendPorts: [port], subscriptions: [] },
      },
      context,
    ),
    makeEvent(
      'MessageReplayed',
      { messageId: copy, originalMessageId: original.messageId, replayId: request.replayId, sendPort: port },
      context,
    ),
  ];
  try {
    await store.append(stream, events, 'no_stream');
    return { ...item, status: 'replayed' };
  } catch (error) {
    if (error instanceof WrongExpectedRevision) return { ...item, status: 'already-replayed' };
    throw error;
  }
}
