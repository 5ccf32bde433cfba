// Opens a fresh store, view file and work queue in one folder at an agreed moment, as two workers
// started together on a new data folder do: argv is the folder and the moment (epoch ms).
import { join } from 'node:path';
import { openWorkDatabase } from '../../../src/bus/local/schema.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { openDatabase } from '../../../src/store/sqlite/schema.js';

const [dir, at] = process.argv.slice(2);
while (Date.now() < Number(at)) {
  // Spin rather than sleep: both processes should reach the first open within microseconds.
}
for (const open of [
  () => openDatabase(join(dir!, 'signalbox.db')),
  () => openViewDatabase(join(dir!, 'views.db')),
  () => openWorkDatabase(join(dir!, 'work.db')),
]) {
  const db = open();
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') throw new Error(`${db.name} is not in WAL mode`);
  db.close();
}
process.stdout.write('opened\n');
