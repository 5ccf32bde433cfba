import type { z } from 'zod';
import { SchemaViolation } from '../errors.js';
import { definitionOf, type SignalboxEvent } from './catalog.js';
import { eventMetadataSchema, type EventMetadata } from './metadata.js';
import { upcast } from './upcasters.js';

/** An event about to be appended: its id (a UUID; the same id twice is an idempotent retry). */
export type NewEvent = SignalboxEvent & { readonly id: string; readonly metadata: EventMetadata };

function describe(error: z.ZodError, prefix: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks an event against its type's current schema before it is written. Throws a
 * `SchemaViolation` naming the event type and each bad field; returns the parsed event.
 */
export function validateNewEvent(event: NewEvent): NewEvent {
  const definition = definitionOf(event.type);
  if (!definition) {
    throw new SchemaViolation(`event of unknown type "${String(event.type)}"`, [
      { path: 'type', message: 'not a Signalbox event type' },
    ]);
  }
  const subject = `event ${event.type}`;
  if (typeof event.id !== 'string' || !uuid.test(event.id)) {
    throw new SchemaViolation(subject, [{ path: 'id', message: 'must be a UUID' }]);
  }
  const data = definition.data.safeParse(event.data);
  const metadata = eventMetadataSchema.safeParse(event.metadata);
  const issues = [
    ...(data.success ? [] : describe(data.error, 'data')),
    ...(metadata.success ? [] : describe(metadata.error, 'metadata')),
  ];
  if (!metadata.success || !data.success) throw new SchemaViolation(subject, issues);
  if (metadata.data.schemaVersion !== definition.version) {
    throw new SchemaViolation(subject, [
      {
        path: 'metadata.schemaVersion',
        message: `writers must use the current version ${definition.version}, got ${metadata.data.schemaVersion}`,
      },
    ]);
  }
  return { id: event.id, type: event.type, data: data.data, metadata: metadata.data } as NewEvent;
}

/**
 * Turns a stored `{type, data, metadata}` into the current version of the event. Current-version
 * rows were validated when written and are trusted; older ones are upcast and then validated.
 */
export function decodeStoredEvent(
  type: string,
  data: Record<string, unknown>,
  metadata: EventMetadata,
): { type: SignalboxEvent['type']; data: SignalboxEvent['data']; metadata: EventMetadata } {
  const definition = definitionOf(type);
  if (!definition) throw new SchemaViolation(`stored event of unknown type "${type}"`, []);
  if (metadata.schemaVersion === definition.version) {
    return { type: definition.type, data: data as SignalboxEvent['data'], metadata };
  }
  if (metadata.schemaVersion > definition.version) {
    throw new SchemaViolation(`stored event ${type}`, [
      {
        path: 'metadata.schemaVersion',
        message: `version ${metadata.schemaVersion} is newer than this build knows (${definition.version}); upgrade Signalbox`,
      },
    ]);
  }
  const lifted = definition.data.safeParse(upcast(type, metadata.schemaVersion, definition.version, data));
  if (!lifted.success) throw new SchemaViolation(`stored event ${type} (upcast)`, describe(lifted.error, 'data'));
  return {
    type: definition.type,
    data: lifted.data,
    metadata: { ...metadata, schemaVersion: definition.version },
  };
}
