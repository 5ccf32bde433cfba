import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/temp-dir.js';
import { eventStoreContract } from './event-store.contract.js';

const dir = tempDir('contract');
const file = join(dir.path, 'events.db');
afterAll(() => dir.cleanup());

eventStoreContract('SQLite (one file, separate connections)', {
  open: () => Promise.resolve(new SqliteEventStore(file)),
  location: () => `sqlite:${file}`,
});
