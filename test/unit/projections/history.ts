import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { vi } from 'vitest';
import type { EventData, EventType, MessageContext } from '../../../src/domain/events/index.js';
import type { RetryPolicy } from '../../../src/domain/config/retry.js';
import { ProjectionRunner, type Projection, type ViewTable } from '../../../src/projections/runner.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { runMessageCommand } from '../../../src/workers/message-commands.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';

export const T0 = Date.parse('2026-03-03T03:00:00.000Z');

/** The time `seconds` after T0, as the views store it (ms) and as queries return it (ISO). */
export const ms = (seconds: number): number => T0 + seconds * 1000;
export const iso = (seconds: number): string => new Date(ms(seconds)).toISOString();

export const retry: RetryPolicy = { count: 1, intervalMs: 1000, backoff: 'fixed', maxIntervalMs: 60_000 };

/**
 * A history written to an in-memory store through the engine's own code paths (the message
 * decider, operator operations), on a clock the test moves: every event's `recordedAt` is the
 * clock's time, so view rows can be asserted exactly. Call `useClock()` in `beforeEach`.
 */
export class History {
  readonly store = new MemoryEventStore();
  private seconds = 0;

  /** Fakes `Date` only (promises and timers stay real), starting at T0. */
  static useClock(): void {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  }

  /** Moves the clock to `seconds` after T0. */
  at(seconds: number): this {
    this.seconds = seconds;
    vi.setSystemTime(ms(seconds));
    return this;
  }

  get now(): Date {
    return new Date(ms(this.seconds));
  }

  async append<T extends EventType>(stream: string, type: T, data: EventData<T>, actor = 'worker:w1'): Promise<void> {
    await this.store.append(stream, [makeEvent(type, data, { actor })], 'any');
  }

  /** Several events in one append, as one decision writes them. */
  async appendAll(stream: string, events: { type: EventType; data: object }[], actor = 'worker:w1'): Promise<void> {
    await this.store.append(
      stream,
      events.map((e) => makeEvent(e.type, e.data as EventData<EventType>, { actor })),
      'any',
    );
  }

  /** `MessageReceived` as the receive step writes it; no ports: unroutable, as `submit` records it. */
  async receive(
    messageId: string,
    ports: readonly string[],
    options: { location?: string; context?: Partial<MessageContext>; adapter?: string } = {},
  ): Promise<void> {
    const location = options.location ?? 'mq-orders';
    const received = {
      type: 'MessageReceived' as const,
      data: {
        messageId,
        receiveLocation: location,
        receivePort: 'orders',
        adapter: options.adapter ?? 'mq',
        sourceKey: `src-${messageId}`,
        contentType: 'application/json',
        body: inlineBody('{"order":1}'),
        context: {
          promoted: { 'BTS.ReceiveLocationName': location, ...options.context?.promoted },
          written: { 'BTS.MessageID': messageId, ...options.context?.written },
        },
        routing: { sendPorts: [...ports], subscriptions: ports.map((p) => `sub-${p}`) },
      },
    };
    if (ports.length > 0) return this.appendAll(`message-${messageId}`, [received]);
    const reason = 'no subscription matched the promoted properties';
    await this.appendAll(`message-${messageId}`, [
      received,
      { type: 'MessageUnroutable', data: { messageId, reason } },
      {
        type: 'MessageSuspended',
        data: { messageId, stage: 'route', reason: { code: 'UNROUTABLE', message: reason, retryable: false } },
      },
    ]);
  }

  async claim(messageId: string, port: string, worker = 'w1'): Promise<number> {
    const outcome = await runMessageCommand(
      this.store,
      messageId,
      (state) => ({ type: 'ClaimSend', port, attempt: state.sends[port]?.attempt ?? 1, worker, now: this.now }),
      { actor: `worker:${worker}` },
    );
    if (!outcome.decision.ok) throw new Error(`claim refused: ${outcome.decision.reason}`);
    return outcome.state.sends[port]?.attempt ?? 1;
  }

  async sent(messageId: string, port: string, address?: string): Promise<void> {
    await runMessageCommand(
      this.store,
      messageId,
      (state) => ({
        type: 'CompleteSend',
        port,
        attempt: state.sends[port]!.attempt,
        durationMs: 12,
        ...(address === undefined ? {} : { address }),
      }),
      { actor: 'worker:w1' },
    );
  }

  async fail(
    messageId: string,
    port: string,
    code = 'MQRC_Q_FULL',
    hasBackup = false,
    retryable = true,
  ): Promise<void> {
    const outcome = await runMessageCommand(
      this.store,
      messageId,
      (state) => ({
        type: 'FailSend',
        port,
        attempt: state.sends[port]!.attempt,
        error: { code, message: `${code} on attempt ${state.sends[port]!.attempt}`, retryable },
        retry,
        hasBackup,
        now: this.now,
      }),
      { actor: 'worker:w1' },
    );
    if (!outcome.decision.ok) throw new Error(`fail refused: ${outcome.decision.reason}`);
  }

  /** Follows the store into `projection` on a fresh in-memory view database, in batches of `batchSize`. */
  async view(projection: Projection, batchSize = 500, db = openViewDatabase(':memory:')): Promise<Database.Database> {
    await new ProjectionRunner(this.store, db, projection, { batchSize }).catchUp();
    return db;
  }
}

export function inlineBody(content: string) {
  return {
    kind: 'inline' as const,
    encoding: 'utf8' as const,
    content,
    size: Buffer.byteLength(content),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

/** Every table of a view, every row in key order: two views built from one history dump alike. */
export function dump(db: Database.Database, projection: Projection): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of projection.tables) out[table.name] = rows(db, table);
  return out;
}

export function rows(db: Database.Database, table: ViewTable | string, where = ''): Record<string, unknown>[] {
  const name = typeof table === 'string' ? table : table.name;
  const order = typeof table === 'string' ? '1' : table.key.join(', ');
  return db.prepare(`SELECT * FROM ${name} ${where} ORDER BY ${order}`).all() as Record<string, unknown>[];
}
