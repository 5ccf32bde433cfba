import type Database from 'better-sqlite3';
import { chainHashBytes, GENESIS_HASH } from '../event-hash.js';
import { fromHashColumn } from './hash-column.js';
import type { WriteLock } from './write-lock.js';

/**
 * One append as it crosses to the writer thread: plain values only (structured clone). Each event
 * goes as its JSON text; the writer thread validates it and computes its content digest (see
 * `prepareAppend`), work that kept a busy worker's main thread a tenth fuller when done there.
 */
export interface WireAppend {
  readonly stream: string;
  /** `no_stream`, `any`, `exists`, or the exact revision expected. */
  readonly expected: 'no_stream' | 'any' | 'exists' | number;
  /** Each event (`NewEvent`) as `JSON.stringify` wrote it. */
  readonly events: readonly string[];
}

/** An append whose events passed their schemas, as it is written. */
export interface PreparedAppend {
  readonly stream: string;
  readonly expected: WireAppend['expected'];
  /** `digest`: the content digest (`contentDigest`); the writer chains it. */
  readonly rows: readonly { id: string; type: string; data: string; metadata: string; digest: string }[];
}

/** Why an append was refused before it was written: a `SchemaViolation`'s parts, or another error's message. */
export interface Refusal {
  readonly subject?: string;
  readonly issues?: readonly { path: string; message: string }[];
  readonly message: string;
}

/** The result of one append: written (or an idempotent retry of a write), a conflict, or refused. */
export type WireOutcome =
  | { readonly ok: true; readonly revision: number; readonly position: number }
  | { readonly ok: false; readonly actual: number }
  | { readonly ok: false; readonly refused: Refusal };

/**
 * A batch as it crosses to the writer thread: one flat array, per append `stream, expected, n`,
 * then its `n` events' JSON texts, or, for an append the caller prepared itself (`-n`), its rows'
 * `id, type, data, metadata, digest`. Structured cloning one array of strings costs a third of
 * cloning an object per append and per event.
 */
export type WireBatch = (string | number)[];

export function encodeBatch(appends: readonly (WireAppend | PreparedAppend)[]): WireBatch {
  const flat: WireBatch = [];
  for (const append of appends) {
    if ('rows' in append) {
      flat.push(append.stream, append.expected, -append.rows.length);
      for (const r of append.rows) flat.push(r.id, r.type, r.data, r.metadata, r.digest);
    } else {
      flat.push(append.stream, append.expected, append.events.length);
      for (const event of append.events) flat.push(event);
    }
  }
  return flat;
}

export function decodeBatch(flat: WireBatch): (WireAppend | PreparedAppend)[] {
  const appends: (WireAppend | PreparedAppend)[] = [];
  let i = 0;
  const next = () => flat[i++]!;
  while (i < flat.length) {
    const stream = next() as string;
    const expected = next() as WireAppend['expected'];
    const n = next() as number;
    if (n < 0) {
      const rows: PreparedAppend['rows'][number][] = [];
      for (let k = -n; k > 0; k--) {
        rows.push({
          id: next() as string,
          type: next() as string,
          data: next() as string,
          metadata: next() as string,
          digest: next() as string,
        });
      }
      appends.push({ stream, expected, rows });
    } else {
      const events: string[] = [];
      for (let k = n; k > 0; k--) events.push(next() as string);
      appends.push({ stream, expected, events });
    }
  }
  return appends;
}

/**
 * A batch's outcomes as they cross back to the caller's thread: one Float64Array (transferred,
 * not copied) with two numbers per append, `[revision, position]` when written, `[actual, -1]` on
 * a conflict and `[-1, -2]` when refused, the refusals apart by index (rare: a bug's event).
 * Cloning an object per append cost the writer thread more than hashing does.
 */
export interface EncodedOutcomes {
  readonly outcomes: Float64Array;
  readonly refusals?: Record<number, Refusal>;
}

export function encodeOutcomes(outcomes: readonly WireOutcome[]): EncodedOutcomes {
  const encoded = new Float64Array(outcomes.length * 2);
  let refusals: Record<number, Refusal> | undefined;
  outcomes.forEach((outcome, i) => {
    if ('refused' in outcome) {
      encoded[2 * i] = -1;
      encoded[2 * i + 1] = -2;
      (refusals ??= {})[i] = outcome.refused;
      return;
    }
    encoded[2 * i] = outcome.ok ? outcome.revision : outcome.actual;
    encoded[2 * i + 1] = outcome.ok ? outcome.position : -1;
  });
  return refusals ? { outcomes: encoded, refusals } : { outcomes: encoded };
}

export function decodeOutcome({ outcomes, refusals }: EncodedOutcomes, i: number): WireOutcome {
  const first = outcomes[2 * i]!;
  const second = outcomes[2 * i + 1]!;
  if (second === -2) return { ok: false, refused: refusals?.[i] ?? { message: 'refused by the writer' } };
  return second < 0 ? { ok: false, actual: first } : { ok: true, revision: first, position: second };
}

interface MetaRow {
  max_count: number | null;
  last_revision: number | null;
  base_revision: number | null;
  base_hash: Buffer | null;
}

interface LastRow {
  revision: number;
  hash: Buffer | null;
}

/**
 * Applies batches of appends on the write connection, one transaction per batch. Each append is
 * checked against its expected revision inside the transaction, so a conflict fails only that
 * append while the others in the batch commit together (group commit).
 */
export class AppendWriter {
  private readonly statements;
  /**
   * Names of the (few) streams that have metadata, so the hot path looks up only the revision.
   * Reloaded whenever another connection has committed, since it may have set metadata.
   */
  private metaStreams = new Set<string>();
  private seenDataVersion = -1;

  constructor(
    db: Database.Database,
    private readonly lock: WriteLock,
  ) {
    this.statements = {
      // The revision and hash of the stream's last event in one index lookup.
      last: db.prepare<[string], LastRow>(
        'SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      meta: db.prepare<[string], MetaRow>(
        'SELECT max_count, last_revision, base_revision, base_hash FROM stream_meta WHERE name = ?',
      ),
      metaNames: db.prepare<[], string>('SELECT name FROM stream_meta').pluck(),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      atRevision: db.prepare<[string, number], { id: string; position: number }>(
        'SELECT id, position FROM events WHERE stream = ? AND revision = ?',
      ),
      hashAt: db
        .prepare<[string, number], Buffer | null>('SELECT hash FROM events WHERE stream = ? AND revision = ?')
        .pluck(),
      insert: db.prepare(
        'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // The receipt of a message: one event to a stream that must not exist yet, in one statement.
      insertFirst: db.prepare(
        `INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, hash)
         SELECT ?, 0, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM events WHERE stream = ?)`,
      ),
      setLastRevision: db.prepare('UPDATE stream_meta SET last_revision = ? WHERE name = ?'),
      setBase: db.prepare('UPDATE stream_meta SET base_revision = ?, base_hash = ? WHERE name = ?'),
      trimBelow: db.prepare('DELETE FROM events WHERE stream = ? AND revision < ?'),
    };
  }

  /** Throws when the transaction itself fails; then nothing of the batch was written. */
  writeBatch(batch: readonly PreparedAppend[]): WireOutcome[] {
    return this.lock.transaction(() => {
      const version = this.statements.dataVersion.get()!;
      if (version !== this.seenDataVersion) {
        this.metaStreams = new Set(this.statements.metaNames.all());
        this.seenDataVersion = version;
      }
      return batch.map((append) => this.applyOne(append));
    });
  }

  private applyOne({ stream, expected, rows }: PreparedAppend): WireOutcome {
    if (expected === 'no_stream' && rows.length === 1 && !this.metaStreams.has(stream)) {
      const r = rows[0]!;
      const now = Date.now();
      const hash = chainHashBytes(GENESIS_HASH, r.digest, 0, now);
      const info = this.statements.insertFirst.run(stream, r.id, r.type, r.data, r.metadata, now, hash, stream);
      if (info.changes === 1) return { ok: true, revision: 0, position: Number(info.lastInsertRowid) };
      // The stream exists: an idempotent retry or a conflict, which the general path tells apart.
    }
    const meta = this.metaStreams.has(stream) ? this.statements.meta.get(stream) : undefined;
    const lastRow = this.statements.last.get(stream);
    const last = lastRow?.revision ?? -1;
    const current = meta?.last_revision != null ? Math.max(last, meta.last_revision) : last;
    const exists = current >= 0;

    const retry = exists ? this.idempotentRetry(stream, expected, rows, current) : undefined;
    if (retry) return retry;

    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && !exists) ||
      (expected === 'exists' && exists) ||
      (typeof expected === 'number' && exists && expected === current);
    if (!matches) return { ok: false, actual: current };

    // The chain goes on from the last event; when retention removed every event, from the last removed.
    let previous =
      (lastRow && lastRow.revision === current
        ? fromHashColumn(lastRow.hash)
        : meta?.base_revision === current
          ? fromHashColumn(meta.base_hash)
          : null) ?? GENESIS_HASH;
    let revision = current;
    let position = 0;
    const now = Date.now();
    for (const r of rows) {
      revision++;
      const hash = chainHashBytes(previous, r.digest, revision, now);
      previous = hash.toString('hex');
      position = Number(
        this.statements.insert.run(stream, revision, r.id, r.type, r.data, r.metadata, now, hash).lastInsertRowid,
      );
    }
    if (meta) {
      this.statements.setLastRevision.run(revision, stream);
      if (meta.max_count) trimStream(this.statements, stream, revision - meta.max_count + 1, meta.base_revision);
    }
    return { ok: true, revision, position };
  }

  /**
   * EventStoreDB's rule: events whose ids are already in the stream, at the revisions this append
   * would have given them, were written by an earlier try of the same append. For `any` and
   * `exists` the revisions are not known, so only a retry of the stream's latest write is
   * recognised (EventStoreDB likewise only remembers recent ids).
   */
  private idempotentRetry(
    stream: string,
    expected: PreparedAppend['expected'],
    rows: PreparedAppend['rows'],
    current: number,
  ): WireOutcome | undefined {
    const first =
      typeof expected === 'number' ? expected + 1 : expected === 'no_stream' ? 0 : current - rows.length + 1;
    if (first < 0) return undefined;
    let position = 0;
    for (let i = 0; i < rows.length; i++) {
      const found = this.statements.atRevision.get(stream, first + i);
      if (!found || found.id !== rows[i]!.id) return undefined;
      position = found.position;
    }
    return { ok: true, revision: first + rows.length - 1, position };
  }
}

interface TrimStatements {
  readonly hashAt: Database.Statement<[string, number], Buffer | null>;
  readonly setBase: Database.Statement;
  readonly trimBelow: Database.Statement;
}

/**
 * Removes the stream's events below `keepFrom`, first recording the last one removed (its
 * revision and hash) as the stream's base: the chain of what remains starts from it, and verify
 * knows the missing prefix was removed by retention. Run inside the caller's transaction.
 */
export function trimStream(
  statements: TrimStatements,
  stream: string,
  keepFrom: number,
  baseRevision: number | null,
): void {
  const removedUpTo = keepFrom - 1;
  if (removedUpTo < 0 || (baseRevision !== null && removedUpTo <= baseRevision)) return;
  const hash = statements.hashAt.get(stream, removedUpTo);
  // Absent when an earlier trim already went past it: the base then stays where it is.
  if (hash !== undefined) statements.setBase.run(removedUpTo, hash, stream);
  statements.trimBelow.run(stream, keepFrom);
}
