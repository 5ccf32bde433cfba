import { randomUUID } from 'node:crypto';
import { currentVersion, type EventType, type EventData, type NewEvent } from '../domain/events/index.js';

export interface EventContext {
  readonly actor: string;
  readonly causationId?: string;
  readonly correlationId?: string;
  readonly fence?: { lease: string; term: number };
  /** Fixed ids make a retried write idempotent; default: a fresh UUID. */
  readonly id?: string;
  readonly occurredAt?: Date;
}

/** Builds a new event at its type's current schema version, ready to append. */
export function makeEvent<T extends EventType>(type: T, data: EventData<T>, context: EventContext): NewEvent {
  return {
    id: context.id ?? randomUUID(),
    type,
    data,
    metadata: {
      schemaVersion: currentVersion(type),
      occurredAt: (context.occurredAt ?? new Date()).toISOString(),
      actor: context.actor,
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
      ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
      ...(context.fence === undefined ? {} : { fence: context.fence }),
    },
  } as NewEvent;
}
