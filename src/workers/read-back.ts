import type { EventStore, RecordedEvent } from '../store/event-store.js';

/** Pages grow from a small first one: what a reader looks for is usually near the head. */
const FIRST_PAGE = 32;
const LARGEST_PAGE = 1_024;

/**
 * Reads `stream` backwards until `stop` says an event is the last one needed (or the stream's
 * start), and returns what it read, oldest first, that event included. `stop` sees the events in
 * backward order, once each.
 */
export async function readBackUntil(
  store: EventStore,
  stream: string,
  stop: (event: RecordedEvent) => boolean,
): Promise<RecordedEvent[]> {
  const read: RecordedEvent[] = [];
  let from: bigint | undefined;
  for (let size = FIRST_PAGE; ; size = Math.min(size * 4, LARGEST_PAGE)) {
    const page = await store.readStream(stream, {
      direction: 'backwards',
      maxCount: size,
      ...(from === undefined ? {} : { fromRevision: from }),
    });
    for (const event of page) {
      read.push(event);
      if (stop(event)) return read.reverse();
    }
    const oldest = page.at(-1);
    if (page.length < size || !oldest || oldest.revision === 0n) return read.reverse();
    from = oldest.revision - 1n;
  }
}
