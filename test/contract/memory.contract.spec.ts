import { MemoryBackend } from '../support/memory-event-store.js';
import { eventStoreContract } from './event-store.contract.js';

// The in-memory store that unit tests run workers on must behave like the real ones.
const backend = new MemoryBackend();

eventStoreContract('in-memory (test double, shared backend)', {
  open: () => Promise.resolve(backend.client()),
});
