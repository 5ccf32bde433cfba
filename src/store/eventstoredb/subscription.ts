import {
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Filter,
} from '@eventstore/db-client';
import type { EventFilter, RecordedEvent, SubscribeOptions } from '../event-store.js';
import { StoreUnavailable } from '../errors.js';
import type { Lease } from './connection.js';
import { deadlineExceeded } from './deadline.js';
import { fromClientPosition, toReadPosition } from './positions.js';
import { isSystemEvent, matchesFilter, toRecordedEvent } from './recorded-event.js';
import { translateError } from './translate-errors.js';

/** Events held while the consumer is busy before the gRPC stream is paused, and when it resumes. */
const highWater = 512;
const lowWater = 64;

/**
 * Narrows what the server sends. The server filters on stream names or on event types, not both,
 * and by prefix; the exact filter is applied again on our side.
 */
function serverFilter(filter: EventFilter | undefined): Filter {
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  }
  if (filter?.eventTypes && filter.eventTypes.length > 0) {
    return eventTypeFilter({ prefixes: [...filter.eventTypes] });
  }
  return excludeSystemEvents();
}

/**
 * Follows `$all` from `after` (exclusive): the server catches up and then goes live on one call,
 * so there is no switch-over to get wrong. Positions at or before the last one delivered are
 * dropped, which keeps `after` exclusive whichever way the server treats it. The server must
 * confirm the subscription within the deadline; after that it may stay quiet for as long as
 * nothing is written (gRPC keep-alive notices a dead connection). The iteration ends cleanly when
 * `signal` aborts, and fails with `StoreUnavailable` when the connection breaks or is reset and
 * with `StoreClosed` when the store closes.
 */
export async function* followAll(lease: Lease, options: SubscribeOptions): AsyncGenerator<RecordedEvent> {
  const { signal, filter } = options;
  if (signal?.aborted) return;
  const subscription = lease.client.subscribeToAll({
    fromPosition: toReadPosition(options.after),
    filter: serverFilter(filter),
  });
  const buffer: AllStreamResolvedEvent[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const fail = (error: Error) => {
    failure ??= error;
    notify();
  };
  const unconfirmed = setTimeout(() => {
    const error = deadlineExceeded(lease.context);
    fail(error);
    lease.timedOut(error);
  }, lease.context.deadlineMs);
  const listeners = {
    confirmation: () => clearTimeout(unconfirmed),
    data: (event: AllStreamResolvedEvent) => {
      buffer.push(event);
      if (buffer.length >= highWater) subscription.pause();
      notify();
    },
    error: (error: Error) => fail(translateError(error, lease.context)),
    end: () => fail(new StoreUnavailable(`EventStoreDB at ${lease.context.endpoint} ended ${lease.context.operation}`)),
  };
  const onReset = () => {
    const reason: unknown = lease.reset.reason;
    fail(
      reason instanceof StoreUnavailable
        ? new StoreUnavailable(`${lease.context.operation} was cut off: ${reason.message}`, { cause: reason })
        : reason instanceof Error
          ? reason
          : new StoreUnavailable(`${lease.context.operation} was cut off`),
    );
  };
  subscription.on('confirmation', listeners.confirmation);
  subscription.on('data', listeners.data);
  subscription.on('error', listeners.error);
  subscription.on('end', listeners.end);
  subscription.on('close', listeners.end);
  lease.reset.addEventListener('abort', onReset, { once: true });
  signal?.addEventListener('abort', notify, { once: true });
  if (lease.reset.aborted) onReset();

  let last = options.after ?? -1n;
  try {
    for (;;) {
      if (signal?.aborted) return;
      const next = buffer.shift();
      if (next === undefined) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (buffer.length <= lowWater && subscription.isPaused()) subscription.resume();
      const event = next.event;
      if (!event || isSystemEvent(event)) continue;
      const position = fromClientPosition(event.position, next.commitPosition);
      if (position <= last) continue;
      last = position;
      if (matchesFilter(event, filter)) yield toRecordedEvent(event, next.commitPosition);
    }
  } finally {
    clearTimeout(unconfirmed);
    subscription.off('confirmation', listeners.confirmation);
    subscription.off('data', listeners.data);
    subscription.off('error', listeners.error);
    subscription.off('end', listeners.end);
    subscription.off('close', listeners.end);
    lease.reset.removeEventListener('abort', onReset);
    signal?.removeEventListener('abort', notify);
    // unsubscribe() waits for the call to exist; against a silent server that may be never.
    subscription.unsubscribe().catch(() => undefined);
    // The client reports errors on this stream after we stop listening (the cancellation among them).
    subscription.on('error', () => undefined);
    subscription.destroy();
  }
}
