import { MQCC_FAILED } from '../constants.js';
import type { MqMd } from '../md.js';
import type { QueueDefinition } from './definitions.js';
import type { SimulatedQueue, StoredMessage } from './simulated-queue.js';

/** A failed MQI call inside the simulator: becomes `{ok: false, compCode, reason}` on the wire. */
export class SimulatedFailure extends Error {
  constructor(
    readonly reason: number,
    detail: string,
    readonly compCode = MQCC_FAILED,
  ) {
    super(detail);
  }
}

export interface OpenHandle {
  readonly id: number;
  readonly options: number;
  /** The local queue the handle reads or writes (for a remote destination: its transmission queue). */
  readonly queue: SimulatedQueue;
  /** Set when puts go to a transmission queue on their way elsewhere: they get an MQXQH. */
  readonly remote?: { readonly queue: string; readonly queueManager: string };
  readonly definition: QueueDefinition;
  readonly resolvedName: string;
  readonly resolvedQueueManager: string;
}

export interface Waiter {
  readonly connection: SimulatedConnection;
  readonly attempt: () => boolean;
  readonly fail: (failure: SimulatedFailure) => void;
  readonly failIfQuiescing: boolean;
}

export interface UnitOfWork {
  gets: { queue: SimulatedQueue; message: StoredMessage }[];
  puts: { queue: SimulatedQueue; message: StoredMessage }[];
}

export interface SimulatedConnection {
  readonly id: number;
  readonly applName: string;
  readonly handles: Map<number, OpenHandle>;
  uow: UnitOfWork;
  closed: boolean;
}

export interface GetResult {
  readonly md: MqMd;
  readonly body: Buffer;
}

/** Fault injection, set by the simulator's admin calls. */
export interface Faults {
  /** The next MQGET on this queue that finds a message takes it, then its connection breaks. */
  breakOnGet: Set<string>;
}
