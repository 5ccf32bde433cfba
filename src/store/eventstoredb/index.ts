export { EventStoreDbStore, openEventStoreDbStore } from './eventstoredb-store.js';
export { InvalidStoreOptions, defaultDeadlineMs, type EventStoreDbStoreOptions } from './options.js';
