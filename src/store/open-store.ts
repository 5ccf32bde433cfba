import type { EventStore } from './event-store.js';
import { SqliteEventStore, type SqliteStoreOptions } from './sqlite/index.js';

/**
 * Opens the store a location names: `esdb://…`, `esdb+discover://…` or `kurrentdb://…` for
 * EventStoreDB / KurrentDB, `sqlite:FILE` or a plain file path for the embedded store.
 */
export async function openStore(location: string, sqlite: SqliteStoreOptions = {}): Promise<EventStore> {
  if (/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//.test(location)) {
    const { openEventStoreDbStore } = await import('./eventstoredb/index.js');
    return openEventStoreDbStore({ connectionString: location });
  }
  return new SqliteEventStore(location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location, sqlite);
}
