/** One stored event exactly as stored: what verify recomputes hashes from. */
export interface AuditRow {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  /** ms since the epoch. */
  readonly recordedAt: number;
  /** `null` for events stored before the store hashed them (and for tampered ones). */
  readonly hash: string | null;
}

/** A stream's metadata row, as far as audit cares. */
export interface StreamRetention {
  readonly maxCount: number | null;
  readonly truncateBefore: number | null;
  /** The revision of the last event ever written to the stream. */
  readonly lastRevision: number | null;
  /** The last event retention removed: the chain of what remains starts from its hash. */
  readonly baseRevision: number | null;
  readonly baseHash: string | null;
}

/** What verify reads, from one consistent snapshot of the store. */
export interface AuditSource {
  /** How many events there are (for progress). */
  readonly total: number;
  /** Events at or before this position may predate hashing and then carry no hash. */
  readonly unchainedUntil: number;
  /** Streams with a metadata row. */
  readonly streamMeta: ReadonlyMap<string, StreamRetention>;
  /** Up to `limit` events after `after`, in global order. */
  page(after: number, limit: number): AuditRow[];
  /** Up to `limit` events of one stream from `fromRevision` on, in revision order. */
  streamPage(stream: string, fromRevision: number, limit: number): AuditRow[];
  close(): void;
}

/** Whether a stream's metadata removes old events (anchors leave such streams out). */
export function hasRetention(meta: StreamRetention | undefined): boolean {
  return meta !== undefined && (meta.maxCount !== null || meta.truncateBefore !== null);
}
