import { setTimeout as sleep } from 'node:timers/promises';
import type { EventData } from '../domain/events/index.js';
import { GENESIS_HASH } from '../store/event-hash.js';
import type { EventStore, ExpectedRevision } from '../store/event-store.js';
import { StoreClosed, WrongExpectedRevision } from '../store/errors.js';
import { makeEvent } from '../store/make-event.js';
import type { Logger } from '../workers/logger.js';
import { ANCHOR_STREAM, anchorHash, cachedStreamTag, entryOf, type AnchoredEvent } from './anchor-format.js';

export interface AnchorOptions {
  /** Most events one anchor covers; a longer backlog gets several anchors. Default 5,000. */
  readonly maxEvents?: number;
  /** Who the anchor events are recorded as written by. Default `worker:audit`. */
  readonly actor?: string;
}

export type AnchorData = EventData<'AuditAnchored'>;

export type AnchorOutcome =
  | { readonly status: 'written'; readonly anchor: AnchorData; readonly revision: bigint }
  /** Nothing new since the last anchor but anchors themselves and streams anchors leave out. */
  | { readonly status: 'up-to-date' }
  /** Another instance appended an anchor between our read and our append. */
  | { readonly status: 'lost-race' };

const PAGE = 1_000;
/** Re-reads after lost races before one `writeAnchor` call gives up until the next time. */
const MAX_RACES = 5;

interface Covered {
  readonly events: AnchoredEvent[];
  readonly upTo: bigint;
  /** Events read, covered or not. */
  readonly read: number;
  /** Some covered event is not itself an anchor. */
  readonly news: boolean;
}

/**
 * Writes audit anchors (docs/audit.md): reads the last anchor, hashes the events after it in
 * global order, and appends the next anchor expecting the last one's revision, so of several
 * instances racing exactly one wins and the others re-read.
 */
export class AnchorWriter {
  private readonly maxEvents: number;
  private readonly actor: string;

  constructor(
    private readonly store: EventStore,
    options: AnchorOptions = {},
  ) {
    this.maxEvents = options.maxEvents ?? 5_000;
    this.actor = options.actor ?? 'worker:audit';
  }

  /** One anchor over (at most `maxEvents` of) what follows the last one. */
  async writeOne(): Promise<AnchorOutcome> {
    const [last] = await this.store.readStream(ANCHOR_STREAM, { direction: 'backwards', maxCount: 1 });
    let after = 0n;
    let previous = GENESIS_HASH;
    let expected: ExpectedRevision = 'no_stream';
    if (last) {
      if (last.type !== 'AuditAnchored') throw new Error(`${ANCHOR_STREAM} holds a ${last.type} event`);
      after = BigInt(last.data.upTo);
      previous = last.data.anchorHash;
      expected = last.revision;
    }
    const covered = await this.cover(after);
    const tag = cachedStreamTag();
    // Anchoring an anchor alone would make a new anchor every interval forever; a long stretch of
    // events anchors leave out (lease renewals) is passed over all the same, so it is not re-read.
    if (!covered.news && covered.read < this.maxEvents) return { status: 'up-to-date' };
    const anchor: AnchorData = {
      after: after.toString(),
      upTo: covered.upTo.toString(),
      count: covered.events.length,
      previousAnchorHash: previous,
      anchorHash: anchorHash(
        previous,
        after,
        covered.upTo,
        covered.events.map((e) => e.hash),
      ),
      entries: covered.events.map((e) => entryOf(e, tag)).join(' '),
    };
    try {
      const written = await this.store.append(
        ANCHOR_STREAM,
        [makeEvent('AuditAnchored', anchor, { actor: this.actor })],
        expected,
      );
      return { status: 'written', anchor, revision: written.nextExpectedRevision };
    } catch (error) {
      if (error instanceof WrongExpectedRevision) return { status: 'lost-race' };
      throw error;
    }
  }

  /** The events after `after` an anchor covers: hashed, of streams without retention metadata. */
  private async cover(after: bigint): Promise<Covered> {
    const events: AnchoredEvent[] = [];
    let upTo = after;
    let read = 0;
    let news = false;
    const take = (
      r: { position: bigint; streamId: string; revision: bigint; hash?: string | undefined },
      retained: boolean,
    ) => {
      upTo = r.position;
      read++;
      if (r.hash === undefined || retained) return;
      events.push({ stream: r.streamId, revision: r.revision, hash: r.hash });
      if (r.streamId !== ANCHOR_STREAM) news = true;
    };
    if (this.store.readAuditRecords) {
      for (;;) {
        const page = await this.store.readAuditRecords(upTo, PAGE);
        for (const record of page) {
          take(record, record.retained);
          if (events.length >= this.maxEvents) return { events, upTo, read, news };
        }
        if (page.length < PAGE) return { events, upTo, read, news };
      }
    }
    // Through the port: every event decoded, and each stream's metadata looked up once.
    const retention = new Map<string, boolean>();
    for await (const event of this.store.readAll({ after })) {
      let retained = retention.get(event.streamId);
      if (retained === undefined) {
        const metadata = await this.store.getStreamMetadata(event.streamId);
        retained = metadata.maxCount !== undefined || metadata.truncateBefore !== undefined;
        retention.set(event.streamId, retained);
      }
      take(event, retained);
      if (events.length >= this.maxEvents) break;
    }
    return { events, upTo, read, news };
  }
}

export interface WriteAnchorResult {
  /** Anchors this call wrote. */
  readonly written: number;
  /** The last anchor it wrote, if any. */
  readonly last?: AnchorData;
}

/**
 * Anchors everything not yet anchored, now: one anchor, or several when the backlog exceeds
 * `maxEvents`. It stops once it has anchored up to the head it found on starting, so under a
 * steady stream of appends it does not chase the head. After a lost race it re-reads (the
 * winner's anchor usually covers it all).
 */
export async function writeAnchor(store: EventStore, options: AnchorOptions = {}): Promise<WriteAnchorResult> {
  const writer = new AnchorWriter(store, options);
  const head = await store.headPosition();
  let written = 0;
  let last: AnchorData | undefined;
  for (let races = 0; races < MAX_RACES;) {
    const outcome = await writer.writeOne();
    if (outcome.status === 'up-to-date') break;
    if (outcome.status === 'lost-race') races++;
    else {
      written++;
      last = outcome.anchor;
      if (BigInt(last.upTo) >= head) break;
    }
  }
  return { written, ...(last ? { last } : {}) };
}

export interface AnchorLoopOptions extends AnchorOptions {
  /** How often to look for events to anchor, in ms. Default 10,000. */
  readonly intervalMs?: number;
  /**
   * How often, between intervals, to look whether a full anchor's worth of events (`maxEvents`)
   * is waiting, in ms; if so it is anchored at once. Default 250.
   */
  readonly backlogCheckMs?: number;
  /** Aborting ends the loop after the anchor being written, if any. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * Writes an anchor every `intervalMs` when there are new events, and sooner whenever `maxEvents`
 * of them are waiting; for the engine to run beside its workers. A failure is logged and tried
 * again at the next interval; the loop ends when `signal` aborts or the store is closed.
 *
 * Anchoring runs on the engine's thread (reading the records, tagging streams, hashing). At
 * 15,000 events/s, ten seconds' worth at once took a fifth of a busy worker's main thread for
 * over a second, and its receipts and sends queued behind it (p99 60–400 ms in `bench e2e`);
 * one anchor's worth at a time spreads the same work evenly.
 */
export async function runAnchorLoop(store: EventStore, options: AnchorLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const intervalMs = options.intervalMs ?? 10_000;
  const checkMs = Math.min(intervalMs, options.backlogCheckMs ?? 250);
  const full = BigInt(options.maxEvents ?? 5_000);
  let anchoredUpTo: bigint | undefined;
  while (!signal.aborted) {
    try {
      const head = await store.headPosition();
      const result = await writeAnchor(store, options);
      // Nothing written: nothing to anchor up to the head it looked at (or only what anchors leave out).
      anchoredUpTo = result.last ? BigInt(result.last.upTo) : head;
      if (result.last) {
        logger.debug({ anchors: result.written, upTo: result.last.upTo, count: result.last.count }, 'audit anchored');
      }
    } catch (error) {
      if (error instanceof StoreClosed || signal.aborted) return;
      logger.warn({ err: error }, 'writing an audit anchor failed; trying again at the next interval');
    }
    const due = Date.now() + intervalMs;
    for (let left = intervalMs; left > 0 && !signal.aborted; left = due - Date.now()) {
      await sleep(Math.min(checkMs, left), undefined, { signal, ref: false }).catch(() => undefined);
      if (signal.aborted || anchoredUpTo === undefined) continue;
      const waiting = await store.headPosition().catch(() => anchoredUpTo!);
      if (waiting - anchoredUpTo >= full) break;
    }
  }
}
