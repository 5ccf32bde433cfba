import type Database from 'better-sqlite3';
import { insertRows, prepared } from './statements.js';
import type { FlowStep, PortStatus, TrackingStatus } from './tracking-schema.js';

/** A `tracking_messages` row, column for column. */
export interface MessageRow {
  message_id: string;
  status: TrackingStatus;
  receive_location: string;
  receive_port: string | null;
  adapter: string;
  source_key: string | null;
  batch_id: string | null;
  received_at: number;
  completed_at: number | null;
  attempts: number;
  last_error_code: string | null;
  last_error_message: string | null;
  suspended_stage: string | null;
  terminated: number;
  replay_of: string | null;
  replay_id: string | null;
  request_message_id: string | null;
  reply_message_id: string | null;
  n_pending: number;
  n_sending: number;
  n_retrying: number;
  n_sent: number;
  n_suspended: number;
  n_terminated: number;
  updated_at: number;
}

/** A `tracking_ports` row: one send of a message. */
export interface PortRow {
  message_id: string;
  port: string;
  status: PortStatus;
  prev_status: PortStatus | null;
  attempts: number;
  transport: string | null;
  address: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  next_retry_at: number | null;
  sent_at: number | null;
  received_at: number;
  updated_at: number;
}

/** A `tracking_port_counts` row: a port's sends by status. */
export type PortCountsRow = { port: string; routed: number } & Record<PortStatus, number>;

/** What the tracking reducer reads and changes: rows by key, each saved back once changed. */
export interface TrackingRowAccess {
  /** Whether this view keeps the message's rows (see `BatchWriterOptions.owns`). */
  owns(messageId: string): boolean;
  message(messageId: string): MessageRow | undefined;
  port(messageId: string, port: string): PortRow | undefined;
  counts(port: string): PortCountsRow | undefined;
  save(table: 'messages', row: MessageRow): void;
  save(table: 'ports', row: PortRow): void;
  save(table: 'counts', row: PortCountsRow): void;
  /** A step of a message's timeline: the event's position, the step's place among the event's, detail JSON. */
  flow(
    messageId: string,
    position: number,
    seq: number,
    at: number,
    step: FlowStep,
    port: string | null,
    detail: string | null,
  ): void;
}

const messageColumns = [
  'message_id',
  'status',
  'receive_location',
  'receive_port',
  'adapter',
  'source_key',
  'batch_id',
  'received_at',
  'completed_at',
  'attempts',
  'last_error_code',
  'last_error_message',
  'suspended_stage',
  'terminated',
  'replay_of',
  'replay_id',
  'request_message_id',
  'reply_message_id',
  'n_pending',
  'n_sending',
  'n_retrying',
  'n_sent',
  'n_suspended',
  'n_terminated',
  'updated_at',
] as const satisfies readonly (keyof MessageRow)[];

const portColumns = [
  'message_id',
  'port',
  'status',
  'prev_status',
  'attempts',
  'transport',
  'address',
  'last_error_code',
  'last_error_message',
  'next_retry_at',
  'sent_at',
  'received_at',
  'updated_at',
] as const satisfies readonly (keyof PortRow)[];

const countsColumns = [
  'port',
  'routed',
  'pending',
  'sending',
  'retrying',
  'sent',
  'suspended',
  'terminated',
] as const satisfies readonly (keyof PortCountsRow)[];

const FLOW_INSERT = 'INSERT INTO tracking_flow (message_id, position, seq, at, step, port, detail) VALUES';

/** Writes rows whole, replacing what their keys held. */
function saveRows<R>(
  db: Database.Database,
  table: string,
  columns: readonly (keyof R & string)[],
  rows: Iterable<R>,
): void {
  const values: unknown[] = [];
  for (const row of rows) for (const column of columns) values.push(row[column]);
  if (values.length > 0)
    insertRows(db, `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES`, '', columns.length, values);
}

export interface TrackingRowsOptions {
  /**
   * Only this writer changes the tables, which were empty when it began (a rebuild's side file):
   * rows it has not seen do not exist, so nothing is read back, and rows stay cached between
   * flushes up to `cachedMessages`. Otherwise every flush forgets what it read, because other
   * runners may change the rows between two transactions.
   */
  readonly exclusive?: boolean;
  /** With `exclusive`, the messages kept in memory before a flush forgets them all. Default 100,000. */
  readonly cachedMessages?: number;
  /** Only these messages' rows are kept: other messages read as absent and their changes are dropped. */
  readonly owns?: (messageId: string) => boolean;
}

/**
 * The tracking tables as the reducer sees them: rows read once by key, changed in memory, and
 * written back together on `flush` (write-behind). A message received, claimed and sent within
 * one batch is written once instead of once per event.
 */
export class TrackingRows implements TrackingRowAccess {
  private readonly messages = new Map<string, MessageRow | null>();
  private readonly ports = new Map<string, PortRow | null>();
  private readonly portCounts = new Map<string, PortCountsRow | null>();
  private readonly changed = {
    messages: new Set<MessageRow>(),
    ports: new Set<PortRow>(),
    counts: new Set<PortCountsRow>(),
  };
  /** New `tracking_flow` rows, one after the other in one array. */
  private flows: unknown[] = [];
  /** Every row that exists is in the maps: a miss means absent (exclusive writer, nothing forgotten yet). */
  private complete: boolean;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database.Database,
    private readonly options: TrackingRowsOptions = {},
  ) {
    this.complete = options.exclusive === true;
    this.statements = prepare(db);
  }

  owns(messageId: string): boolean {
    return this.options.owns?.(messageId) ?? true;
  }

  message(messageId: string): MessageRow | undefined {
    if (!this.owns(messageId)) return undefined;
    let row = this.messages.get(messageId);
    if (row === undefined) {
      row = this.complete ? null : ((this.statements.message.get(messageId) as MessageRow | undefined) ?? null);
      this.messages.set(messageId, row);
    }
    return row ?? undefined;
  }

  port(messageId: string, port: string): PortRow | undefined {
    if (!this.owns(messageId)) return undefined;
    const key = `${messageId}\u0000${port}`;
    let row = this.ports.get(key);
    if (row === undefined) {
      row = this.complete ? null : ((this.statements.port.get(messageId, port) as PortRow | undefined) ?? null);
      this.ports.set(key, row);
    }
    return row ?? undefined;
  }

  counts(port: string): PortCountsRow | undefined {
    let row = this.portCounts.get(port);
    if (row === undefined) {
      row = this.complete ? null : ((this.statements.counts.get(port) as PortCountsRow | undefined) ?? null);
      this.portCounts.set(port, row);
    }
    return row ?? undefined;
  }

  save(table: 'messages', row: MessageRow): void;
  save(table: 'ports', row: PortRow): void;
  save(table: 'counts', row: PortCountsRow): void;
  save(table: 'messages' | 'ports' | 'counts', row: MessageRow | PortRow | PortCountsRow): void {
    if (table === 'messages') {
      const message = row as MessageRow;
      this.messages.set(message.message_id, message);
      this.changed.messages.add(message);
    } else if (table === 'ports') {
      const port = row as PortRow;
      this.ports.set(`${port.message_id}\u0000${port.port}`, port);
      this.changed.ports.add(port);
    } else {
      const counts = row as PortCountsRow;
      this.portCounts.set(counts.port, counts);
      this.changed.counts.add(counts);
    }
  }

  flow(
    messageId: string,
    position: number,
    seq: number,
    at: number,
    step: FlowStep,
    port: string | null,
    detail: string | null,
  ): void {
    if (this.owns(messageId)) this.flows.push(messageId, position, seq, at, step, port, detail);
  }

  /** Writes every changed row and the new flow steps; the caller holds the transaction. */
  flush(): void {
    // Many rows to a statement: with time-ordered message ids, new rows go in near the B-tree's end.
    saveRows(this.db, 'tracking_messages', messageColumns, this.changed.messages);
    saveRows(this.db, 'tracking_ports', portColumns, this.changed.ports);
    saveRows(this.db, 'tracking_port_counts', countsColumns, this.changed.counts);
    insertRows(this.db, FLOW_INSERT, 'ON CONFLICT DO NOTHING', 7, this.flows);
    this.changed.messages.clear();
    this.changed.ports.clear();
    this.changed.counts.clear();
    this.flows = [];
    if (this.options.exclusive !== true || this.messages.size > (this.options.cachedMessages ?? 100_000)) {
      this.messages.clear();
      this.ports.clear();
      this.portCounts.clear();
      this.complete = false;
    }
  }
}

function prepare(db: Database.Database) {
  return {
    message: prepared(db, 'SELECT * FROM tracking_messages WHERE message_id = ?'),
    port: prepared(db, 'SELECT * FROM tracking_ports WHERE message_id = ? AND port = ?'),
    counts: prepared(db, 'SELECT * FROM tracking_port_counts WHERE port = ?'),
  };
}
