import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  jsonEvent,
  type AppendExpectedRevision,
  type EventData,
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
import { WrongExpectedRevision } from '../errors.js';
import { GENESIS_HASH } from '../event-hash.js';
import { auditOf, chainedEvents, digestsOf } from './audit-chain.js';
import { Connection } from './connection.js';
import { resolveOptions, type EventStoreDbStoreOptions } from './options.js';
import { fromClientPosition, toReadPosition, unknownPosition } from './positions.js';
import { readPage } from './read-page.js';
import { isSystemEvent, matchesFilter, toRecordedEvent } from './recorded-event.js';
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

  /**
   * Each event carries its audit hash in its metadata (`audit-chain.ts`), chained from the hash of
   * the event the append follows. That event is read first: at the expected revision, or for
   * `any`/`exists` the stream's last one, whose revision the append then expects, so another
   * writer getting in between makes it read again and retry rather than break the chain.
   */
  async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    // Every event is checked before anything is sent: one bad event writes nothing.
    const valid = events.map((event) => validateNewEvent(event));
    const digests = digestsOf(stream, valid);
    let actual: bigint | 'no_stream' | undefined;
    for (;;) {
      const head = await this.chainHead(stream, expected, valid, actual);
      if ('written' in head) return head.written;
      const data = chainedEvents(valid, digests, head.hash, head.after, Date.now());
      try {
        return await this.send(stream, data, head.expect, expected);
      } catch (error) {
        // `any` and `exists` were sent as the revision just read: when somebody appended since,
        // they still hold, so read again and retry (`exists` fails only on a missing stream).
        const retry =
          error instanceof WrongExpectedRevision &&
          (expected === 'any' || (expected === 'exists' && error.actual !== 'no_stream'));
        if (!retry) throw error;
        actual = error.actual;
      }
    }
  }

  /**
   * What an append chains from (the hash of the event at `after`) and the revision it sends as
   * expected; or, for a retried `any`/`exists` append already written, its earlier result.
   * `actual` is the revision the server reported on the previous try, if it conflicted.
   */
  private async chainHead(
    stream: string,
    expected: ExpectedRevision,
    events: readonly NewEvent[],
    actual: bigint | 'no_stream' | undefined,
  ): Promise<{ hash: string; after: bigint; expect: AppendExpectedRevision } | { written: AppendResult }> {
    const operation = `append to ${stream} (reading the previous hash)`;
    if (expected === 'no_stream') return { hash: GENESIS_HASH, after: -1n, expect: NO_STREAM };
    if (typeof expected === 'bigint') {
      const [at] = await this.readStreamPage(operation, stream, {
        fromRevision: expected,
        maxCount: 1,
        direction: FORWARDS,
      });
      const hash = at?.event?.revision === expected ? auditOf(at.event.metadata)?.hash : undefined;
      return { hash: hash ?? GENESIS_HASH, after: expected, expect: expected };
    }
    const newest = (
      await this.readStreamPage(operation, stream, { fromRevision: END, maxCount: events.length, direction: BACKWARDS })
    ).flatMap((resolved) => (resolved.event ? [resolved.event] : []));
    const last = newest[0];
    if (!last) {
      // Nothing readable: no stream, or retention removed every event, whose revision then only a
      // conflict tells. `exists` probes with revision 0 so that a missing stream still fails.
      if (typeof actual === 'bigint') return { hash: GENESIS_HASH, after: actual, expect: actual };
      return expected === 'any'
        ? { hash: GENESIS_HASH, after: -1n, expect: NO_STREAM }
        : { hash: GENESIS_HASH, after: 0n, expect: 0n };
    }
    // EventStoreDB's own idempotence for `any` looks at the stream's end; with an exact revision
    // it would not, so a retry of the stream's latest write is recognised here.
    const ids = newest.map((e) => e.id).reverse();
    if (ids.length === events.length && ids.every((id, i) => id === events[i]!.id)) {
      const position = fromClientPosition(last.position);
      return {
        written: {
          nextExpectedRevision: last.revision,
          position: position === unknownPosition ? await this.positionOf(stream, last.revision) : position,
        },
      };
    }
    return { hash: auditOf(last.metadata)?.hash ?? GENESIS_HASH, after: last.revision, expect: last.revision };
  }

  private async send(
    stream: string,
    data: EventData[],
    expect: AppendExpectedRevision,
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    const result = await this.connection
      .call(`append to ${stream}`, (client) => appendOnce(client, stream, data, expect, this.grpcDeadlineMs))
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
