export { SqliteEventStore, type SqliteStoreOptions } from './sqlite-store.js';
