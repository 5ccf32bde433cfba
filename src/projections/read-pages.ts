import type { EventStore, ReadPagesOptions, RecordedEvent } from '../store/event-store.js';

/**
 * The store's events in pages, for bulk readers: through the store's `readAllPages` when it has
 * one, otherwise `readAll` cut into pages of `pageSize` (default 5,000) up to `upTo`.
 */
export async function* readPages(
  store: EventStore,
  options: ReadPagesOptions = {},
): AsyncGenerator<readonly RecordedEvent[]> {
  if (store.readAllPages) {
    yield* store.readAllPages(options);
    return;
  }
  const size = options.pageSize ?? 5_000;
  const upTo = options.upTo;
  let page: RecordedEvent[] = [];
  for await (const event of store.readAll({
    ...(options.after === undefined ? {} : { after: options.after }),
    ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    ...(options.filter ? { filter: options.filter } : {}),
  })) {
    if (upTo !== undefined && event.position > upTo) break;
    page.push(event);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
