import type { RecordedEvent } from '../../store/event-store.js';

/** Fields a timeline leaves out: the id and port have columns, bodies and context have their own places. */
const omitted = new Set(['messageId', 'port', 'body', 'parts', 'context']);

/** One event of a message's stream as the timeline shows it. */
export function timelineEntry(event: RecordedEvent) {
  const data = event.data as Record<string, unknown>;
  const detail: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) if (!omitted.has(key)) detail[key] = value;
  return {
    revision: Number(event.revision),
    position: Number(event.position),
    type: event.type,
    at: event.recordedAt.toISOString(),
    actor: event.metadata.actor,
    port: typeof data.port === 'string' ? data.port : null,
    detail,
  };
}
