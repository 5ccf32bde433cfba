import type Database from 'better-sqlite3';

/** One append as it crosses to the writer thread: plain values only (structured clone). */
export interface WireAppend {
  readonly stream: string;
  /** `no_stream`, `any`, `exists`, or the exact revision expected. */
  readonly expected: 'no_stream' | 'any' | 'exists' | number;
  readonly rows: readonly { id: string; type: string; data: string; metadata: string }[];
}

/** The result of one append: written (or an idempotent retry of a write), or a conflict. */
export type WireOutcome =
  | { readonly ok: true; readonly revision: number; readonly position: number }
  | { readonly ok: false; readonly actual: number };

interface MetaRow {
  max_count: number | null;
  last_revision: number | null;
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

  constructor(private readonly db: Database.Database) {
    this.statements = {
      lastRevision: db.prepare<[string], number | null>('SELECT max(revision) FROM events WHERE stream = ?').pluck(),
      meta: db.prepare<[string], MetaRow>('SELECT max_count, last_revision FROM stream_meta WHERE name = ?'),
      metaNames: db.prepare<[], string>('SELECT name FROM stream_meta').pluck(),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      atRevision: db.prepare<[string, number], { id: string; position: number }>(
        'SELECT id, position FROM events WHERE stream = ? AND revision = ?',
      ),
      insert: db.prepare(
        'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // The receipt of a message: one event to a stream that must not exist yet, in one statement.
      insertFirst: db.prepare(
        `INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at)
         SELECT ?, 0, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM events WHERE stream = ?)`,
      ),
      setLastRevision: db.prepare('UPDATE stream_meta SET last_revision = ? WHERE name = ?'),
      trimBelow: db.prepare('DELETE FROM events WHERE stream = ? AND revision < ?'),
    };
  }

  /** Throws when the transaction itself fails; then nothing of the batch was written. */
  writeBatch(batch: readonly WireAppend[]): WireOutcome[] {
    return this.db
      .transaction(() => {
        const version = this.statements.dataVersion.get()!;
        if (version !== this.seenDataVersion) {
          this.metaStreams = new Set(this.statements.metaNames.all());
          this.seenDataVersion = version;
        }
        return batch.map((append) => this.applyOne(append));
      })
      .immediate();
  }

  private applyOne({ stream, expected, rows }: WireAppend): WireOutcome {
    if (expected === 'no_stream' && rows.length === 1 && !this.metaStreams.has(stream)) {
      const r = rows[0]!;
      const info = this.statements.insertFirst.run(stream, r.id, r.type, r.data, r.metadata, Date.now(), stream);
      if (info.changes === 1) return { ok: true, revision: 0, position: Number(info.lastInsertRowid) };
      // The stream exists: an idempotent retry or a conflict, which the general path tells apart.
    }
    const meta = this.metaStreams.has(stream) ? this.statements.meta.get(stream) : undefined;
    const last = this.statements.lastRevision.get(stream) ?? -1;
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

    let revision = current;
    let position = 0;
    const now = Date.now();
    for (const r of rows) {
      revision++;
      position = Number(
        this.statements.insert.run(stream, revision, r.id, r.type, r.data, r.metadata, now).lastInsertRowid,
      );
    }
    if (meta) {
      this.statements.setLastRevision.run(revision, stream);
      if (meta.max_count) this.statements.trimBelow.run(stream, revision - meta.max_count + 1);
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
    expected: WireAppend['expected'],
    rows: WireAppend['rows'],
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
