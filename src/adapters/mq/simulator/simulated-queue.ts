import type { MqMd } from '../md.js';
import type { QueueDefinition } from './definitions.js';

export interface StoredMessage {
  /** Arrival order; a backed-out message keeps it and so goes back to its place. */
  readonly seq: number;
  md: MqMd;
  readonly body: Buffer;
}

/**
 * A local queue's messages, in MQ's delivery order: higher priority first, then arrival. Also
 * counts what units of work hold, because CURDEPTH includes uncommitted puts and gets.
 */
export class SimulatedQueue {
  readonly messages: StoredMessage[] = [];
  uncommittedPuts = 0;
  uncommittedGets = 0;
  openInputCount = 0;
  /** Messages put back by a backout (MQBACK, or a connection that ended with them got), for observers. */
  backedOut = 0;

  constructor(
    public definition: QueueDefinition,
    /** Set for dynamic queues: the connection that made it (a temporary one goes with it). */
    readonly owner?: number,
  ) {}

  get name(): string {
    return this.definition.name;
  }

  get depth(): number {
    return this.messages.length + this.uncommittedPuts + this.uncommittedGets;
  }

  insert(message: StoredMessage): void {
    const priority = message.md.Priority;
    let i = this.messages.length;
    while (i > 0) {
      const before = this.messages[i - 1]!;
      if (before.md.Priority > priority || (before.md.Priority === priority && before.seq < message.seq)) break;
      i--;
    }
    this.messages.splice(i, 0, message);
  }

  take(index: number): StoredMessage {
    return this.messages.splice(index, 1)[0]!;
  }
}
