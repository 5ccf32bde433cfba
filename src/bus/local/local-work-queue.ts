import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { nackDelayMs, reconnectDelayMs } from '../backoff.js';
import { Capacity, type Slots } from '../capacity.js';
import { WorkQueueClosed, WorkQueueUnavailable } from '../errors.js';
import { defaultBusLogger, type BusLogger } from '../logger.js';
import { dedupKey, parseSendWork, type SendWork } from '../send-work.js';
import { Wakeup } from '../wakeup.js';
import type { ConsumeOptions, PublishResult, WorkDelivery, WorkQueue } from '../work-queue.js';
import { openWorkDatabase } from './schema.js';
import { prepareStatements, type ClaimedRow, type Statements } from './statements.js';

export interface LocalWorkQueueOptions {
  /** How long a delivery may stay unsettled before it is handed out again, in ms. Default 30,000. */
  readonly ackWaitMs?: number;
  /** How long an acked key still counts as a duplicate after it was published, in ms. Default 120,000. */
  readonly dedupWindowMs?: number;
  /** How often an idle consumer looks for work published by other processes, in ms. Default 25. */
  readonly pollIntervalMs?: number;
  /** Delays for a nack without a delay, by delivery count. Default `DEFAULT_NACK_BACKOFF_MS`. */
  readonly nackBackoffMs?: readonly number[];
  readonly logger?: BusLogger;
  readonly busyTimeoutMs?: number;
}

/** Publishes and settles wake the consumers of every queue object on the same file in this process. */
const wakeups = new Map<string, Wakeup>();

function wakeupFor(file: string): Wakeup {
  const key = resolve(file);
  let wakeup = wakeups.get(key);
  if (!wakeup) wakeups.set(key, (wakeup = new Wakeup()));
  return wakeup;
}

/**
 * The embedded work queue: one SQLite file (WAL), shared by every process on the host that opens
 * it. Claims lease rows for the ack wait; a lease that runs out makes the row claimable again, so
 * a consumer whose process died simply stops renewing. Times are this host's wall clock, which
 * all processes on one file share.
 *
 * Dedup window: a key is a duplicate while its item is still in the queue, and after it was acked
 * until `dedupWindowMs` after it was first published.
 */
export class LocalWorkQueue implements WorkQueue {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly wakeup: Wakeup;
  private readonly closing = new AbortController();
  private readonly ackWaitMs: number;
  private readonly dedupWindowMs: number;
  private readonly pollIntervalMs: number;
  private readonly nackBackoffMs: readonly number[] | undefined;
  private readonly logger: BusLogger;
  private lastPurge = 0;

  constructor(
    readonly file: string,
    options: LocalWorkQueueOptions = {},
  ) {
    this.db = openWorkDatabase(file, { busyTimeoutMs: options.busyTimeoutMs });
    this.statements = prepareStatements(this.db);
    this.wakeup = wakeupFor(file);
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    this.dedupWindowMs = options.dedupWindowMs ?? 120_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.nackBackoffMs = options.nackBackoffMs;
    this.logger = options.logger ?? defaultBusLogger();
  }

  async publish(work: SendWork): Promise<PublishResult> {
    const valid = parseSendWork(work);
    const now = Date.now();
    const dueAt = valid.notBefore === undefined ? now : Date.parse(valid.notBefore);
    const added = this.write(() =>
      this.statements.publish.immediate(dedupKey(valid), JSON.stringify(valid), now, dueAt, now - this.dedupWindowMs),
    );
    this.purgeExpired(now);
    if (added) this.wakeup.notify();
    return { duplicate: !added };
  }

  async *consume({ signal, concurrency = 1, capacity }: ConsumeOptions): AsyncGenerator<WorkDelivery> {
    this.assertOpen();
    const stop = AbortSignal.any([signal, this.closing.signal]);
    const slots: Slots = capacity ?? new Capacity(concurrency);
    const consumer = randomUUID();
    let claims = 0;
    let failures = 0;
    const onSettle = () => {
      slots.release();
      this.wakeup.notify();
    };
    while (!stop.aborted) {
      if (slots.free === 0) {
        await slots.waitForFree(stop);
        continue;
      }
      const owner = `${consumer}#${++claims}`;
      let rows: ClaimedRow[];
      let held = 0;
      try {
        const now = Date.now();
        const next = this.statements.nextDue.get() ?? null;
        if (next === null || next > now) {
          await this.wakeup.wait(stop, next === null ? this.pollIntervalMs : Math.min(this.pollIntervalMs, next - now));
          continue;
        }
        rows = this.statements.claim.immediate({ now, until: now + this.ackWaitMs, owner, limit: slots.free });
        // Synchronously after the claim, so nothing else of this process can take them first.
        while (held < rows.length && slots.tryTake()) held++;
        failures = 0;
      } catch (error) {
        if (stop.aborted) break;
        this.logger.warn({ err: error, file: this.file }, 'work queue claim failed; backing off');
        await this.wakeup.wait(stop, reconnectDelayMs(failures++));
        continue;
      }
      rows.sort((a, b) => a.seq - b.seq);
      let handed = 0;
      try {
        for (const row of rows) {
          if (stop.aborted || handed >= held) break;
          handed++;
          const delivery = this.toDelivery(row, owner, onSettle);
          if (!delivery) {
            slots.release();
            continue;
          }
          yield delivery;
        }
      } finally {
        for (let i = handed; i < held; i++) slots.release();
        this.release(rows.slice(handed), owner);
      }
    }
  }

  isHealthy(): boolean {
    return !this.closing.signal.aborted && this.db.open;
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.db.close();
  }

  private toDelivery(row: ClaimedRow, owner: string, onSettle: () => void): WorkDelivery | undefined {
    let work: SendWork;
    try {
      work = parseSendWork(JSON.parse(row.payload), `work item ${row.seq}`);
    } catch (error) {
      // Only this module writes payloads, validated; an unreadable one would otherwise come back forever.
      this.logger.warn({ err: error, file: this.file, seq: row.seq }, 'discarding unreadable work item');
      try {
        this.write(() => this.statements.discard.run(row.seq));
      } catch {
        // Still leased to us: it comes back after the ack wait and is discarded then.
      }
      return undefined;
    }
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      onSettle();
    };
    return {
      work,
      deliveryCount: row.delivery_count,
      ack: async () => {
        settle();
        this.write(() => this.statements.ack.run(row.seq, owner));
      },
      nack: async (delayMs?: number) => {
        settle();
        const delay = delayMs ?? nackDelayMs(row.delivery_count, this.nackBackoffMs);
        this.write(() => this.statements.reschedule.run(Date.now() + Math.max(0, delay), row.seq, owner));
        this.wakeup.notify();
      },
      inProgress: async () => {
        this.write(() => this.statements.extend.run(Date.now() + this.ackWaitMs, row.seq, owner));
      },
      releaseSlot: settle,
    };
  }

  /** Gives back rows claimed but never handed out (the consumer stopped), for others to take now. */
  private release(rows: readonly ClaimedRow[], owner: string): void {
    if (rows.length === 0 || this.closing.signal.aborted) return;
    try {
      const now = Date.now();
      this.db.transaction(() => {
        for (const row of rows) this.statements.release.run(now, row.seq, owner);
      })();
      this.wakeup.notify();
    } catch (error) {
      // Their leases run out after the ack wait and they come back then.
      this.logger.warn({ err: error, file: this.file }, 'could not release unclaimed work items');
    }
  }

  /** Removes acked rows whose dedup window has passed, at most once a second. */
  private purgeExpired(now: number): void {
    if (now - this.lastPurge < 1_000) return;
    this.lastPurge = now;
    this.write(() => this.statements.purgeDone.run(now - this.dedupWindowMs));
  }

  private write<T>(operation: () => T): T {
    this.assertOpen();
    try {
      return operation();
    } catch (error) {
      if (error instanceof Database.SqliteError) {
        throw new WorkQueueUnavailable(`work queue ${this.file}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new WorkQueueClosed();
  }
}
