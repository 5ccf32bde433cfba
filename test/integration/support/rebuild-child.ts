// A rebuild in a process of its own, as `signalbox rebuild` runs beside engines: argv is the data
// folder and the number of rebuilds; prints one JSON line per rebuild.
import { join } from 'node:path';
import { operatorProjections, operatorViewsFile } from '../../../src/projections/operator-views.js';
import { rebuildViews } from '../../../src/projections/rebuild.js';
import { openViewDatabase } from '../../../src/projections/view-database.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';

const [dir, rounds] = process.argv.slice(2);
const store = new SqliteEventStore(join(dir!, 'signalbox.db'));
const live = openViewDatabase(operatorViewsFile(dir!));
try {
  for (let round = 0; round < Number(rounds); round++) {
    const result = await rebuildViews(store, live, operatorProjections);
    const compared = result.views.filter((v) => v.liveChecksum !== undefined);
    process.stdout.write(
      `${JSON.stringify({
        position: String(result.position),
        compared: compared.length,
        differing: compared.filter((v) => v.liveChecksum !== v.checksum).map((v) => v.view),
      })}\n`,
    );
  }
} finally {
  live.close();
  await store.close();
}
