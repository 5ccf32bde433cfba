import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  START,
  jsonEvent,
  type AllStreamResolvedEvent,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { SchemaViolation } from '../../domain/errors.js';
import { validateNewEvent, type NewEvent } from '../../domain/events/index.js';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamMetadata,
  SubscribeOptions,
} from '../event-store.js';
import { Connection } from './connection.js';
import { resolveOptions, type EventStoreDbStoreOptions } from './options.js';
import { fromClientPosition, toReadPosition, unknownPosition } from './positions.js';
import { readPage } from './read-page.js';
import { isSystemEvent, matchesFilter, toRecordedEvent } from './recorded-event.js';
import { toClientExpectedRevision } from './revisions.js';
import { followAll } from './subscription.js';
import { asWrongExpectedRevision } from './translate-errors.js';
import { appendOnce } from './unary-append.js';

/** Events fetched per read call: each page is one call under the deadline. */
const PAGE = 500;
/** How far back `headPosition` looks per call for the newest event that is not EventStoreDB's own. */
const HEAD_PAGE = 100;

/**
 * The `EventStore` port on EventStoreDB / KurrentDB.
 *
 * Every call is bounded by `deadlineMs` (connecting included) and fails with `StoreUnavailable`
 * when it passes or the server cannot be reached; the message names the call and the endpoint,
 * never the credentials. A call that times out may still have reached the server: appends are
 * safe to retry, because the event ids make the retry idempotent.
 *
 * Positions are commit positions (see `positions.ts`); they mean something only to this store.
 * `readAll`, `subscribeAll` and `headPosition` skip EventStoreDB's own events (`$` types and
 * streams). Reading `$all` needs a user allowed to (admin or ops) when the server has
 * authentication on.
 */
export class EventStoreDbStore implements EventStore {
  private readonly connection: Connection;
  /** The gRPC deadline, a backstop that lets the server drop work: ours fires first and is the one reported. */
  private readonly grpcDeadlineMs: number;

  constructor(options: EventStoreDbStoreOptions) {
    const resolved = resolveOptions(options);
    this.connection = new Connection(resolved);
    this.grpcDeadlineMs = resolved.deadlineMs + 1_000;
  }

  async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // Every event is checked before anything is sent: one bad event writes nothing.
    const data = events.map((event) => {
      const valid = validateNewEvent(event);
      return jsonEvent({ id: valid.id, type: valid.type, data: valid.data, metadata: valid.metadata });
    });
    const result = await this.connection
      .call(`append to ${stream}`, (client) =>
        appendOnce(client, stream, data, toClientExpectedRevision(expected), this.grpcDeadlineMs),
      )
      .catch((error: unknown) => {
        throw asWrongExpectedRevision(error, stream, expected) ?? error;
      });
    const position = fromClientPosition(result.position);
    return {
      nextExpectedRevision: result.nextExpectedRevision,
      position: position === unknownPosition ? await this.positionOf(stream, result.nextExpectedRevision) : position,
    };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let from = options.fromRevision;
    const events: RecordedEvent[] = [];
    while (remaining > 0) {
      const count = Math.min(PAGE, remaining);
      const page = await this.readStreamPage(`readStream ${stream}`, stream, {
        fromRevision: from ?? (backwards ? END : START),
        maxCount: count,
        direction: backwards ? BACKWARDS : FORWARDS,
      });
      for (const resolved of page) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event, resolved.commitPosition));
      }
      remaining -= page.length;
      const last = page.at(-1)?.event?.revision;
      if (page.length < count || last === undefined || (backwards && last === 0n)) break;
      from = backwards ? last - 1n : last + 1n;
    }
    return events;
  }

  async streamRevision(stream: string): Promise<bigint | undefined> {
    const [last] = await this.readStreamPage(`streamRevision ${stream}`, stream, {
      fromRevision: END,
      maxCount: 1,
      direction: BACKWARDS,
    });
    return last?.event?.revision;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after;
    while (remaining > 0) {
      // EventStoreDB reads from a position inclusively: the event at `after` comes back and is skipped.
      const page = await this.readAllPage('readAll', toReadPosition(after), FORWARDS, PAGE);
      const before = after;
      for (const resolved of page) {
        const event = resolved.event;
        if (!event) continue;
        const position = fromClientPosition(event.position, resolved.commitPosition);
        if (after !== undefined && position <= after) continue;
        after = position;
        if (isSystemEvent(event) || !matchesFilter(event, options.filter)) continue;
        yield toRecordedEvent(event, resolved.commitPosition);
        if (--remaining <= 0) return;
      }
      if (page.length < PAGE || after === before) return;
    }
  }

  async *subscribeAll(options: SubscribeOptions = {}): AsyncGenerator<RecordedEvent> {
    yield* followAll(this.connection.lease('subscribeAll'), options);
  }

  async headPosition(): Promise<bigint> {
    let from: ReadPosition = END;
    for (;;) {
      const page = await this.readAllPage('headPosition', from, BACKWARDS, HEAD_PAGE);
      for (const resolved of page) {
        if (resolved.event && !isSystemEvent(resolved.event)) {
          return fromClientPosition(resolved.event.position, resolved.commitPosition);
        }
      }
      const oldest = page.at(-1)?.event?.position;
      if (page.length < HEAD_PAGE || !oldest) return 0n;
      from = oldest;
    }
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    // EventStoreDB's metadata event replaces the previous one whole, as the port's does.
    const data: Record<string, number> = {};
    if (metadata.maxCount !== undefined) {
      if (!Number.isSafeInteger(metadata.maxCount) || metadata.maxCount < 1) {
        throw new SchemaViolation('stream metadata', [{ path: 'maxCount', message: 'must be a positive integer' }]);
      }
      data.$maxCount = metadata.maxCount;
    }
    if (metadata.truncateBefore !== undefined) {
      if (metadata.truncateBefore < 0n || metadata.truncateBefore > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new SchemaViolation('stream metadata', [
          { path: 'truncateBefore', message: 'must be a revision between 0 and 2^53 - 1' },
        ]);
      }
      data.$tb = Number(metadata.truncateBefore);
    }
    const event = jsonEvent({ type: '$metadata', data });
    await this.connection.call(`setStreamMetadata ${stream}`, (client) =>
      appendOnce(client, metastreamOf(stream), [event], ANY, this.grpcDeadlineMs),
    );
  }

  async getStreamMetadata(stream: string): Promise<StreamMetadata> {
    const [last] = await this.readStreamPage(`getStreamMetadata ${stream}`, metastreamOf(stream), {
      fromRevision: END,
      maxCount: 1,
      direction: BACKWARDS,
    });
    const data = last?.event?.isJson ? (last.event.data as Record<string, unknown>) : {};
    const { $maxCount: maxCount, $tb: truncateBefore } = data;
    return {
      ...(typeof maxCount === 'number' ? { maxCount } : {}),
      ...(typeof truncateBefore === 'number' ? { truncateBefore: BigInt(truncateBefore) } : {}),
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Where an appended event landed, when the server's answer did not say. */
  private async positionOf(stream: string, revision: bigint): Promise<bigint> {
    const [resolved] = await this.readStreamPage(`append to ${stream} (finding its position)`, stream, {
      fromRevision: revision,
      maxCount: 1,
      direction: FORWARDS,
    });
    return resolved?.event ? fromClientPosition(resolved.event.position, resolved.commitPosition) : unknownPosition;
  }

  private readStreamPage(
    operation: string,
    stream: string,
    options: {
      fromRevision: bigint | typeof START | typeof END;
      maxCount: number;
      direction: typeof FORWARDS | typeof BACKWARDS;
    },
  ): Promise<ResolvedEvent[]> {
    return this.connection.call(operation, (client, signal) => readPage(client.readStream(stream, options), signal));
  }

  private readAllPage(
    operation: string,
    fromPosition: ReadPosition,
    direction: typeof FORWARDS | typeof BACKWARDS,
    maxCount: number,
  ): Promise<AllStreamResolvedEvent[]> {
    return this.connection.call(operation, (client, signal) =>
      readPage(client.readAll({ fromPosition, direction, maxCount }), signal),
    );
  }
}

function metastreamOf(stream: string): string {
  return `$$${stream}`;
}

/**
 * Opens the store without contacting the server: the first call connects, under its deadline.
 * A connection string the client cannot parse fails here.
 */
export async function openEventStoreDbStore(options: EventStoreDbStoreOptions): Promise<EventStore> {
  return new EventStoreDbStore(options);
}
