import type Database from 'better-sqlite3';
import type { WorkQueue } from '../bus/work-queue.js';
import type { Logger } from './logger.js';

export interface DispatcherOptions {
  /** The node's view database, fed with the `open-sends` view. */
  readonly views: Database.Database;
  readonly queue: WorkQueue;
  /** Ports whose sends do not go through the queue (ordered ports have their own sender). */
  readonly skipPorts?: ReadonlySet<string>;
  /** Open sends whose work was published longer ago than this are published again. Default 60 s. */
  readonly republishAfterMs?: number;
  /**
   * Claimed sends whose claim is older than this (and whose work was not published since) get
   * their work published, so that a worker records the lost attempt: the send worker's stale-claim
   * time. Claims made at receipt have no work item until then. Default `republishAfterMs`.
   */
  readonly claimStaleAfterMs?: number;
  /** How often the reconciler looks for such sends. Default 5 s. */
  readonly reconcileEveryMs?: number;
  /** How often the dispatcher looks when nothing woke it. Default 250 ms. */
  readonly intervalMs?: number;
  readonly logger: Logger;
  /** Suspends a request whose reply did not come in time (the runtime appends the event). */
  readonly expireCorrelation?: (correlation: {
    set: string;
    key: string;
    messageId: string;
    port: string;
  }) => Promise<void>;
}

interface OpenSend {
  message_id: string;
  port: string;
  attempt: number;
  status: string;
  due_at: number;
  published_attempt: number | null;
  published_at: number | null;
}

/**
 * Publishes send work for every open send the view shows: new routes and resumed sends at once,
 * retries with their due time. It is also the reconciler: work published long ago for a send that
 * is still open (the queue lost it, or it was never acked) is published again, as a reissue with
 * its own dedup key so the queue cannot drop it as a duplicate of the lost copy; and a claim that
 * stayed open past the stale-claim time (its worker died, maybe before any work item existed: a
 * claim made at receipt) gets its work published, so a worker records the lost attempt and the
 * retry follows. The send claim in the store makes any duplicate harmless. Runs on one node at a
 * time, under a lease.
 */
export class Dispatcher {
  private wake: (() => void) | undefined;
  private statements: ReturnType<typeof prepare> | undefined;
  private nextReconcileAt = 0;

  constructor(private readonly options: DispatcherOptions) {}

  /** Tells the dispatcher the view changed (the projection runner calls it after each batch). */
  poke(): void {
    this.wake?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const published = (await this.publishDue()) + (await this.expireCorrelations());
      if (published > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.intervalMs ?? 250);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.wake = undefined;
    }
  }

  /**
   * Suspends the request of every conversation whose reply did not come in time; a resume sends
   * it again. Returns how many it suspended.
   */
  async expireCorrelations(limit = 100): Promise<number> {
    const expire = this.options.expireCorrelation;
    if (!expire) return 0;
    const { expiredCorrelations, forgetCorrelation } = this.prepared();
    const rows = expiredCorrelations.all(Date.now(), limit) as {
      correlation_set: string;
      key: string;
      message_id: string;
      port: string;
    }[];
    for (const row of rows) {
      await expire({ set: row.correlation_set, key: row.key, messageId: row.message_id, port: row.port });
      forgetCorrelation.run(row.correlation_set, row.key);
    }
    return rows.length;
  }

  /**
   * Publishes one page of due work; returns how many items it published. New work comes from an
   * index of the sends whose attempt was never published, so its cost does not grow with the
   * backlog of sends already published; the reconciler's scan of the whole view runs only every
   * `reconcileEveryMs`.
   */
  async publishDue(limit = 500): Promise<number> {
    const now = Date.now();
    const { unpublished, stalePending, staleClaims, mark } = this.prepared();
    const rows = unpublished.all(limit) as OpenSend[];
    if (now >= this.nextReconcileAt) {
      this.nextReconcileAt = now + (this.options.reconcileEveryMs ?? 5_000);
      const republishAfter = this.options.republishAfterMs ?? 60_000;
      const stale = now - republishAfter;
      const staleClaim = now - (this.options.claimStaleAfterMs ?? republishAfter);
      const picked = new Set(rows.map((r) => `${r.message_id}:${r.port}`));
      const found = [
        ...(stalePending.all(stale, limit) as OpenSend[]),
        ...(staleClaims.all(staleClaim, stale, limit) as OpenSend[]),
      ];
      for (const row of found) {
        if (!picked.has(`${row.message_id}:${row.port}`)) rows.push(row);
      }
    }
    const skip = this.options.skipPorts;
    const done: OpenSend[] = [];
    const results = await Promise.allSettled(
      rows.map(async (row) => {
        if (!skip?.has(row.port)) {
          await this.options.queue.publish({
            messageId: row.message_id,
            port: row.port,
            attempt: row.attempt,
            enqueuedAt: new Date(now).toISOString(),
            ...(row.due_at > now ? { notBefore: new Date(row.due_at).toISOString() } : {}),
            // This node published this attempt before: the queue may hold its key still.
            ...(row.published_attempt === row.attempt ? { reissue: now } : {}),
          });
        }
        done.push(row);
      }),
    );
    // One transaction for the page: a commit per row cost more than the publishing.
    this.options.views.transaction(() => {
      for (const row of done) mark.run(row.attempt, now, row.message_id, row.port, row.attempt);
    })();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return done.filter((row) => !skip?.has(row.port)).length;
  }

  /** Prepared once, on first use: the view's tables exist only once its projection has set it up. */
  private prepared(): ReturnType<typeof prepare> {
    this.statements ??= prepare(this.options.views);
    return this.statements;
  }
}

/**
 * The next new work: sends whose current attempt was never published, in due order. The index is
 * named because without statistics SQLite prefers `open_sends_due` and then sorts every pending
 * send; the WHERE repeats the partial index's terms, which is what makes it usable.
 */
export const NEW_WORK_SQL = `SELECT * FROM open_sends INDEXED BY open_sends_unpublished
  WHERE status IN ('pending', 'retrying') AND (published_attempt IS NULL OR published_attempt < attempt)
  ORDER BY due_at LIMIT ?`;

/**
 * Sends waiting for a worker whose work went out long ago: the queue may have lost it. Through
 * the `(status, due_at)` index, oldest due first, stopping at the limit.
 */
export const STALE_PENDING_SQL = `SELECT * FROM open_sends INDEXED BY open_sends_due
  WHERE status IN ('pending', 'retrying') AND published_at < ?
  ORDER BY due_at LIMIT ?`;

/**
 * Claims that never ended: their worker died, before or after a work item existed (a claim made
 * at receipt has none). The worker that gets the work records the lost attempt (see SendWorker).
 * Through the `(status, due_at)` index: only claimed rows are read, and those are the sends in
 * progress across the cluster, however large the backlog.
 */
export const STALE_CLAIMS_SQL = `SELECT * FROM open_sends INDEXED BY open_sends_due
  WHERE status = 'claimed' AND claimed_at < ? AND (published_at IS NULL OR published_at < ?)
  LIMIT ?`;

function prepare(views: Database.Database) {
  return {
    unpublished: views.prepare(NEW_WORK_SQL),
    stalePending: views.prepare(STALE_PENDING_SQL),
    staleClaims: views.prepare(STALE_CLAIMS_SQL),
    mark: views.prepare(
      'UPDATE open_sends SET published_attempt = ?, published_at = ? WHERE message_id = ? AND port = ? AND attempt = ?',
    ),
    expiredCorrelations: views.prepare(
      'SELECT * FROM open_correlations WHERE expires_at <= ? ORDER BY expires_at LIMIT ?',
    ),
    forgetCorrelation: views.prepare('DELETE FROM open_correlations WHERE correlation_set = ? AND key = ?'),
  };
}
