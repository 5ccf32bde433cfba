import type { EventFilter } from './event-store.js';

/**
 * Whether an event passes a filter, as every store applies it: an empty or absent list of
 * prefixes or types restricts nothing.
 */
export function matchesFilter(
  event: { readonly type: string; readonly streamId: string },
  filter?: EventFilter,
): boolean {
  const prefixes = filter?.streamPrefixes;
  if (prefixes && prefixes.length > 0 && !prefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  const types = filter?.eventTypes;
  if (types && types.length > 0 && !types.includes(event.type)) return false;
  return true;
}
