import { validateNewEvent, type NewEvent } from '../../domain/events/index.js';
import { SchemaViolation } from '../../domain/errors.js';
import { contentDigest } from '../event-hash.js';
import type { PreparedAppend, Refusal, WireAppend } from './append-writer.js';

/**
 * Turns an append's events into the rows the writer stores: each event checked against its
 * type's schema, its data and metadata serialised as validated, and its content digest computed.
 * Runs on the writer thread (from the events' JSON texts) when the caller's event loop is busy, on
 * the caller's thread when it has time (see `SqliteEventStore.append`). An append with one bad
 * event is refused whole, and nothing of it is written.
 */
export function prepareAppend(append: WireAppend): PreparedAppend | { refused: Refusal } {
  return prepareEvents(
    append.stream,
    append.expected,
    append.events.map((text) => JSON.parse(text) as NewEvent),
  );
}

export function prepareEvents(
  stream: string,
  expected: WireAppend['expected'],
  events: readonly NewEvent[],
): PreparedAppend | { refused: Refusal } {
  try {
    const rows = events.map((event) => {
      const valid = validateNewEvent(event);
      const data = JSON.stringify(valid.data);
      const metadata = JSON.stringify(valid.metadata);
      const digest = contentDigest({ stream, id: valid.id, type: valid.type, data, metadata });
      return { id: valid.id, type: valid.type, data, metadata, digest };
    });
    return { stream, expected, rows };
  } catch (error) {
    if (error instanceof SchemaViolation) {
      return { refused: { subject: error.subject, issues: error.issues, message: error.message } };
    }
    return { refused: { message: error instanceof Error ? error.message : String(error) } };
  }
}

/** The error a refusal stands for, on the caller's thread: a `SchemaViolation` when it was one. */
export function refusalError(refusal: Refusal): Error {
  if (refusal.subject !== undefined && refusal.issues) return new SchemaViolation(refusal.subject, refusal.issues);
  return new Error(refusal.message);
}
