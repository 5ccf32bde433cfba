import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AuditAnchored } from '../domain/events/index.js';
import { chainHash, contentDigest, GENESIS_HASH } from '../store/event-hash.js';
import { ANCHOR_STREAM, anchorHash, entryOf, parseEntry, streamTag } from './anchor-format.js';
import type { AnchorData } from './anchor-writer.js';
import { hasRetention, type AuditRow, type AuditSource, type StreamRetention } from './audit-source.js';

export type AuditFailureKind =
  /** The event's content or time no longer matches its hash. */
  | 'edited'
  /** The event is gone. */
  | 'deleted'
  /** The event is out of its place in its stream or in the global order. */
  | 'reordered'
  /** The event is not among those the anchor covering its position lists. */
  | 'inserted'
  /** The event has no hash although it was written after hashing began. */
  | 'unhashed'
  /** An anchor does not fit the anchors before it. */
  | 'anchor';

export interface AuditFailure {
  readonly stream: string;
  readonly revision: bigint;
  /** Where the bad event is stored; absent when it is gone. */
  readonly position?: bigint;
  readonly kind: AuditFailureKind;
  readonly detail: string;
}

export interface AuditReport {
  readonly ok: boolean;
  /** The first failure found, walking the events in global order. */
  readonly failure?: AuditFailure;
  /** Events checked. */
  readonly events: number;
  readonly streams: number;
  /** Anchors checked against the events they cover. */
  readonly anchors: number;
  /** The last position the last anchor covers (0 without anchors). */
  readonly anchoredUpTo: bigint;
  /** The last anchor's hash: compare it with a copy kept outside the store. */
  readonly lastAnchorHash?: string;
  /** Events after the last anchor: their streams' chains are checked, the global order is not yet. */
  readonly unanchored: number;
  /** Events of streams with retention metadata, which anchors leave out. */
  readonly retained: number;
  /** Events from before the store hashed them: their revisions are checked, their content cannot be. */
  readonly unchained: number;
  readonly unchainedUntil: bigint;
  readonly elapsedMs: number;
}

export interface VerifyOptions {
  /** Called after each page of events. */
  readonly onProgress?: (checked: number, total: number) => void;
  /** Events read per query. Default 2,000. */
  readonly pageSize?: number;
}

interface Anchor {
  readonly row: AuditRow;
  readonly data: AnchorData;
  readonly upTo: number;
}

interface StreamState {
  revision: number;
  hash: string | null;
}

interface Covered {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly hash: string;
}

class Found extends Error {
  constructor(readonly failure: AuditFailure) {
    super(failure.detail);
  }
}

function fail(
  stream: string,
  revision: number,
  position: number | undefined,
  kind: AuditFailureKind,
  detail: string,
): never {
  throw new Found({
    stream,
    revision: BigInt(revision),
    ...(position === undefined ? {} : { position: BigInt(position) }),
    kind,
    detail,
  });
}

const at = (e: { stream: string; revision: number }) => `${e.stream}@${e.revision}`;

/**
 * Walks every event in global order (docs/audit.md): per stream, revisions must follow each other
 * from 0 (or from where retention removed the older ones) and each stored hash must equal the one
 * recomputed from the stored content and the previous hash; each anchor must match the events it
 * covers. Returns at the first failure, naming the stream and revision.
 */
export function verifyAudit(source: AuditSource, options: VerifyOptions = {}): Promise<AuditReport> {
  return new Verifier(source, options).run();
}

class Verifier {
  private readonly pageSize: number;
  private readonly started = performance.now();
  private readonly streams = new Map<string, StreamState>();
  private tags: Map<string, string[]> | undefined;
  private checked = 0;
  private unchained = 0;
  private retained = 0;
  private unanchored = 0;
  private segment: Covered[] = [];
  private anchors = 0;
  private anchoredUpTo = 0;
  private lastAnchorHash: string | undefined;
  private anchorRows: AuditRow[] = [];
  private nextAnchorRevision = 0;
  private previousAnchor: Anchor | undefined;

  constructor(
    private readonly source: AuditSource,
    private readonly options: VerifyOptions,
  ) {
    this.pageSize = options.pageSize ?? 2_000;
  }

  async run(): Promise<AuditReport> {
    let failure: AuditFailure | undefined;
    try {
      await this.walk();
      this.checkRetainedHeads();
    } catch (error) {
      if (!(error instanceof Found)) throw error;
      failure = error.failure;
    }
    return {
      ok: failure === undefined,
      ...(failure ? { failure } : {}),
      events: this.checked,
      streams: this.streams.size,
      anchors: this.anchors,
      anchoredUpTo: BigInt(this.anchoredUpTo),
      ...(this.lastAnchorHash ? { lastAnchorHash: this.lastAnchorHash } : {}),
      unanchored: this.unanchored,
      retained: this.retained,
      unchained: this.unchained,
      unchainedUntil: BigInt(this.source.unchainedUntil),
      elapsedMs: performance.now() - this.started,
    };
  }

  private async walk(): Promise<void> {
    let pending = this.nextAnchor();
    let after = 0;
    for (;;) {
      const rows = this.source.page(after, this.pageSize);
      for (const row of rows) {
        while (pending && row.position > pending.upTo) {
          this.closeSegment(pending);
          pending = this.nextAnchor();
        }
        this.check(row, pending !== undefined);
      }
      this.options.onProgress?.(this.checked, this.source.total);
      if (rows.length < this.pageSize) break;
      // Between pages, timers (a progress bar, a lease renewal) get their turn.
      await yieldToLoop();
      after = rows[rows.length - 1]!.position;
    }
    while (pending) {
      this.closeSegment(pending);
      pending = this.nextAnchor();
    }
  }

  /** One event against its stream's chain; remembered for the anchor covering it, if any. */
  private check(row: AuditRow, anchored: boolean): void {
    this.checked++;
    const meta = this.source.streamMeta.get(row.stream);
    const retained = hasRetention(meta);
    const state = this.streams.get(row.stream);
    let expected = 0;
    let previous: string | undefined = GENESIS_HASH;
    if (state) {
      expected = state.revision + 1;
      previous = state.hash ?? GENESIS_HASH;
    } else if (meta?.baseRevision != null) {
      expected = meta.baseRevision + 1;
      previous = meta.baseHash ?? GENESIS_HASH;
    } else if (retained && row.revision > 0 && row.revision <= retentionStart(meta!)) {
      // Removed by retention before the store recorded what it removed: the chain starts unverified.
      expected = row.revision;
      previous = undefined;
    }
    if (row.revision !== expected) this.misplaced(row, expected, state);
    if (row.hash === null) {
      if (row.position > this.source.unchainedUntil) {
        fail(
          row.stream,
          row.revision,
          row.position,
          'unhashed',
          'it has no hash, yet it was written after hashing began',
        );
      }
      this.unchained++;
    } else if (previous !== undefined) {
      if (chainHash(previous, contentDigest(row), row.revision, row.recordedAt) !== row.hash) {
        this.mismatch(row);
      }
    }
    if (state) {
      state.revision = row.revision;
      state.hash = row.hash;
    } else {
      this.streams.set(row.stream, { revision: row.revision, hash: row.hash });
    }
    if (retained) this.retained++;
    else if (row.hash !== null) {
      if (anchored) {
        this.segment.push({ stream: row.stream, revision: row.revision, position: row.position, hash: row.hash });
      } else this.unanchored++;
    }
  }

  /** `row` is not the revision its stream expects next. */
  private misplaced(row: AuditRow, expected: number, state: StreamState | undefined): never {
    if (row.revision > expected) {
      const [missing] = this.source.streamPage(row.stream, expected, 1);
      if (missing?.revision === expected) {
        fail(
          row.stream,
          expected,
          missing.position,
          'reordered',
          `revision ${expected} is at position ${missing.position}, after revision ${row.revision} at position ${row.position}`,
        );
      }
      fail(
        row.stream,
        expected,
        undefined,
        'deleted',
        `revision ${expected} is missing: revision ${row.revision} at position ${row.position} follows ${
          expected === 0 ? 'nothing' : `revision ${expected - 1}`
        }`,
      );
    }
    fail(
      row.stream,
      row.revision,
      row.position,
      'reordered',
      state
        ? `revision ${row.revision} at position ${row.position} comes after revision ${state.revision} in global order`
        : `revision ${row.revision} at position ${row.position} precedes where the stream's retention says it starts (${expected})`,
    );
  }

  /**
   * The stored hash does not match. When the content fits the hash of another revision of the
   * stream, events were swapped (reordered); otherwise it was edited.
   */
  private mismatch(row: AuditRow): never {
    const rows = this.source.streamPage(row.stream, 0, 100_000);
    for (let i = 0; i < rows.length; i++) {
      const other = rows[i]!;
      if (other.revision === row.revision || other.hash === null) continue;
      const before = rows[i - 1];
      const previous =
        before?.revision === other.revision - 1 && before.hash !== null
          ? before.hash
          : (this.source.streamMeta.get(row.stream)?.baseHash ?? GENESIS_HASH);
      const candidates = [
        { ...other, data: row.data },
        { ...row, revision: other.revision },
        { ...row, revision: other.revision, recordedAt: other.recordedAt },
      ];
      if (candidates.some((c) => chainHash(previous, contentDigest(c), other.revision, c.recordedAt) === other.hash)) {
        fail(
          row.stream,
          row.revision,
          row.position,
          'reordered',
          `the content stored at revision ${row.revision} belongs at revision ${other.revision} (position ${other.position})`,
        );
      }
    }
    fail(
      row.stream,
      row.revision,
      row.position,
      'edited',
      `its stored content or time does not match its hash (position ${row.position})`,
    );
  }

  /** The next anchor, its own chain link and its fit with the previous anchor checked. */
  private nextAnchor(): Anchor | undefined {
    if (this.anchorRows.length === 0) {
      this.anchorRows = this.source.streamPage(ANCHOR_STREAM, this.nextAnchorRevision, 500).reverse();
    }
    const row = this.anchorRows.pop();
    if (!row) return undefined;
    const revision = this.nextAnchorRevision++;
    const where = `anchor ${ANCHOR_STREAM}@${row.revision} at position ${row.position}`;
    if (row.revision !== revision) {
      fail(ANCHOR_STREAM, revision, undefined, 'deleted', `anchor revision ${revision} is missing before ${where}`);
    }
    const previous = this.previousAnchor?.row.hash ?? GENESIS_HASH;
    if (row.hash === null) fail(ANCHOR_STREAM, revision, row.position, 'unhashed', `${where} has no hash`);
    if (chainHash(previous, contentDigest(row), row.revision, row.recordedAt) !== row.hash) {
      fail(ANCHOR_STREAM, revision, row.position, 'edited', `${where}: its content does not match its hash`);
    }
    const parsed = row.type === 'AuditAnchored' ? AuditAnchored.data.safeParse(JSON.parse(row.data)) : undefined;
    if (!parsed?.success)
      fail(ANCHOR_STREAM, revision, row.position, 'anchor', `${where} is not a valid AuditAnchored`);
    const data = parsed.data;
    const prior = this.previousAnchor?.data;
    if (data.after !== (prior?.upTo ?? '0') || data.previousAnchorHash !== (prior?.anchorHash ?? GENESIS_HASH)) {
      fail(ANCHOR_STREAM, revision, row.position, 'anchor', `${where} does not continue from the anchor before it`);
    }
    const upTo = Number(data.upTo);
    if (upTo >= row.position || upTo <= Number(data.after)) {
      fail(ANCHOR_STREAM, revision, row.position, 'anchor', `${where} claims to cover up to position ${upTo}`);
    }
    const anchor = { row, data, upTo };
    this.previousAnchor = anchor;
    return anchor;
  }

  /** The walk has passed the anchor's last position: the events it saw must be those it covers. */
  private closeSegment(anchor: Anchor): void {
    const covered = this.segment;
    this.segment = [];
    const { data } = anchor;
    const digest = anchorHash(
      data.previousAnchorHash,
      data.after,
      data.upTo,
      covered.map((e) => e.hash),
    );
    if (covered.length !== data.count || digest !== data.anchorHash) this.pinpoint(anchor, covered);
    this.anchors++;
    this.anchoredUpTo = anchor.upTo;
    this.lastAnchorHash = data.anchorHash;
  }

  /** Names the first event where what the anchor lists and what is stored part ways. */
  private pinpoint(anchor: Anchor, covered: readonly Covered[]): never {
    const { data, row } = anchor;
    const where = `anchor ${ANCHOR_STREAM}@${row.revision} (positions ${data.after}..${data.upTo}]`;
    const listed = data.entries === '' ? [] : data.entries.split(' ');
    const found = covered.map((e) => entryOf(e));
    let k = 0;
    while (k < listed.length && k < found.length && listed[k] === found[k]) k++;
    const expected = listed[k] === undefined ? undefined : parseEntry(listed[k]!);
    const here = covered[k];
    if (listed[k] !== undefined && !expected)
      fail(ANCHOR_STREAM, row.revision, row.position, 'anchor', `${where} has a malformed entry`);
    if (expected && here && streamTag(here.stream) === expected.tag && here.revision === expected.revision) {
      fail(here.stream, here.revision, here.position, 'edited', `its hash is not the one ${where} recorded`);
    }
    const foundSet = new Set(found);
    if (expected && !foundSet.has(listed[k]!)) {
      const stream = this.streamOf(expected.tag, expected.revision);
      if (stream === undefined) {
        fail(
          `(stream with tag ${expected.tag})`,
          expected.revision,
          undefined,
          'deleted',
          `${where} lists it, but no stream seen so far has that tag`,
        );
      }
      const [now] = this.source.streamPage(stream, expected.revision, 1);
      if (now?.revision === expected.revision) {
        fail(
          stream,
          now.revision,
          now.position,
          'reordered',
          `${where} covers it, but it is at position ${now.position}`,
        );
      }
      const before = covered[k - 1];
      fail(
        stream,
        expected.revision,
        undefined,
        'deleted',
        `${where} lists it${before ? ` after ${at(before)} at position ${before.position}` : ''}, but it is not in the store`,
      );
    }
    if (here) {
      const listedSet = new Set(listed);
      if (!listedSet.has(found[k]!)) {
        fail(here.stream, here.revision, here.position, 'inserted', `${where} does not list it`);
      }
      const instead = expected
        ? `${this.streamOf(expected.tag, expected.revision) ?? expected.tag}@${expected.revision}`
        : 'nothing';
      fail(
        here.stream,
        here.revision,
        here.position,
        'reordered',
        `${where} has ${instead} at this place in the global order, not this event`,
      );
    }
    fail(ANCHOR_STREAM, row.revision, row.position, 'anchor', `${where}: its hash does not match the events it lists`);
  }

  /** The stream seen so far whose tag this is; of several, the one the revision would extend. */
  private streamOf(tag: string, revision: number): string | undefined {
    if (!this.tags) {
      this.tags = new Map();
      for (const name of this.streams.keys()) {
        const t = streamTag(name);
        this.tags.set(t, [...(this.tags.get(t) ?? []), name]);
      }
    }
    const candidates = this.tags.get(tag) ?? [];
    return candidates.find((name) => this.streams.get(name)!.revision === revision - 1) ?? candidates[0];
  }

  /** Retention keeps a stream's newest events: the last one its metadata says was written must be there. */
  private checkRetainedHeads(): void {
    for (const [stream, meta] of this.source.streamMeta) {
      if (!hasRetention(meta) || meta.lastRevision === null) continue;
      if (meta.truncateBefore !== null && meta.truncateBefore > meta.lastRevision) continue;
      const state = this.streams.get(stream);
      const have = state?.revision ?? meta.baseRevision ?? -1;
      if (have < meta.lastRevision) {
        fail(
          stream,
          have + 1,
          undefined,
          'deleted',
          `the stream's metadata records revision ${meta.lastRevision} as written, but the stream ends at ${have}`,
        );
      }
    }
  }
}

/** The first revision a retention stream may still have. */
function retentionStart(meta: StreamRetention): number {
  const byCount = meta.maxCount !== null && meta.lastRevision !== null ? meta.lastRevision - meta.maxCount + 1 : 0;
  return Math.max(byCount, meta.truncateBefore ?? 0);
}
