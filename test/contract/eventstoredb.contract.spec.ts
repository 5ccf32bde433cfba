// Runs the EventStore contract against a real EventStoreDB / KurrentDB when EVENTSTORE_URL names
// one (e.g. `esdb://127.0.0.1:2113?tls=false`); skipped otherwise. Every test uses stream names
// of its own, so the server may be shared and need not be empty.
import { describe } from 'vitest';
import { openEventStoreDbStore } from '../../src/store/eventstoredb/index.js';
import { redactConnectionString } from '../../src/store/eventstoredb/options.js';
import { eventStoreContract } from './event-store.contract.js';

const url = process.env.EVENTSTORE_URL;

describe.skipIf(!url)('EventStoreDB', () => {
  eventStoreContract(`EventStoreDB (${url ? redactConnectionString(url) : 'EVENTSTORE_URL not set'})`, {
    open: () => openEventStoreDbStore({ connectionString: url! }),
    location: () => url!,
  });
});
