import { validateNewEvent, type NewEvent } from '../../domain/events/index.js';
import { SchemaViolation } from '../../domain/errors.js';
import { contentDigest } from '../event-hash.js';
import type { PreparedAppend, Refusal, WireAppend } from './append-writer.js';

/**
 * Turns an append's events, as JSON text, into the rows the writer stores: each event checked
 * against its type's schema, its data and metadata serialised as validated, and its content
 * digest computed. Runs on the writer thread: on a busy worker the caller's thread is the one
 * that runs out of time, while the writer thread mostly waits for fsync. An append with one bad
 * event is refused whole, and nothing of it is written.
 */
export function prepareAppend(append: WireAppend): PreparedAppend | { refused: Refusal } {
  const { stream, expected } = append;
  try {
    const rows = append.events.map((text) => {
      const valid = validateNewEvent(JSON.parse(text) as NewEvent);
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
