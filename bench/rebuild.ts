import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rebuildViews } from '../src/projections/rebuild.js';
import { ProjectionRunner, type Projection } from '../src/projections/runner.js';
import { openViewDatabase } from '../src/projections/view-database.js';
import { requireView } from '../src/projections/operator-views.js';
import { filterSql } from '../src/store/sqlite/filter-sql.js';
import { SqliteEventStore } from '../src/store/sqlite/index.js';
import { writeHistory } from './rebuild/history.js';
import { progress, report } from './report.js';

export interface RebuildBenchOptions {
  readonly events: number;
  readonly json: boolean;
  readonly dir?: string;
}

/**
 * The raw limit: read the same events the views read straight from the store's file with
 * better-sqlite3 and JSON-parse their data and metadata; no decoding, no view work.
 */
function rawRead(file: string, projections: readonly Projection[]): { events: number; perSec: number } {
  const db = new Database(file, { readonly: true });
  const prefixes = [...new Set(projections.flatMap((p) => p.filter?.streamPrefixes ?? []))];
  const { sql, params } = filterSql(prefixes.length > 0 ? { streamPrefixes: prefixes } : undefined);
  const page = db.prepare(
    `SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM events
     WHERE position > ?${sql} ORDER BY position LIMIT 5000`,
  );
  const started = performance.now();
  let after = 0;
  let events = 0;
  let checksum = 0;
  for (;;) {
    const rows = page.all(after, ...params) as { position: number; data: string; metadata: string }[];
    if (rows.length === 0) break;
    for (const row of rows) {
      const data = JSON.parse(row.data) as object;
      const metadata = JSON.parse(row.metadata) as object;
      // touch the parsed values so the parse cannot be optimised away
      checksum += Object.keys(data).length + Object.keys(metadata).length;
    }
    events += rows.length;
    after = rows[rows.length - 1]!.position;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  if (checksum === 0 && events > 0) throw new Error('raw read parsed nothing');
  return { events, perSec: events / seconds };
}

/**
 * `signalbox bench rebuild`: writes a realistic history, follows it into the tracking and
 * context-property views as an engine does (small batches), then rebuilds both from scratch and
 * swaps them in, first in one slice (one core), then in one slice per core (the default); the
 * rebuilt checksums must equal the followed ones.
 */
export async function benchRebuild(options: RebuildBenchOptions): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'signalbox-bench-rebuild-'));
  const projections = [requireView('tracking'), requireView('properties')];
  try {
    const storeFile = join(dir, 'signalbox.db');
    const store = new SqliteEventStore(storeFile);
    progress(`writing a history of about ${options.events.toLocaleString('en-US')} events…`);
    const written = await writeHistory(store, options.events, (n) => progress(`  ${n.toLocaleString('en-US')} events`));
    const head = await store.headPosition();

    progress('raw read + JSON.parse of the same events…');
    const raw = rawRead(storeFile, projections);

    progress('following the history into the views as an engine does (batches of 500)…');
    const live = openViewDatabase(join(dir, 'views.db'));
    for (const projection of projections)
      await new ProjectionRunner(store, live, projection).catchUp({ position: head });

    const rebuild = async (threads?: number) => {
      progress(`rebuilding both views from scratch (${threads ?? 'default'} threads)…`);
      let lastShown = 0;
      const result = await rebuildViews(store, live, projections, {
        ...(threads === undefined ? {} : { threads }),
        onProgress: ({ position }) => {
          if (Number(position) - lastShown < 200_000) return;
          lastShown = Number(position);
          progress(`  position ${lastShown.toLocaleString('en-US')} of ${head.toLocaleString('en-US')}`);
        },
      });
      // The checksums verify the rebuild (and are printed as checksumSeconds); the rate is the rebuild.
      return { result, eventsPerSec: result.events / (result.seconds - result.checksumSeconds) };
    };
    // One slice first, for the single-core figure; then the default, one slice per core.
    const one = await rebuild(1);
    const { result, eventsPerSec } = await rebuild();
    live.close();
    await store.close();
    const summary = {
      events: result.events,
      eventsPerSec: Math.round(eventsPerSec),
      rawReadPerSec: Math.round(raw.perSec),
      ratio: Number((eventsPerSec / raw.perSec).toFixed(3)),
      checksumMatch: [one.result, result].every((r) =>
        r.views.every((v) => v.liveChecksum !== undefined && v.liveChecksum === v.checksum),
      ),
      eventsPerSecOneThread: Math.round(one.eventsPerSec),
      seconds: Number((result.seconds - result.checksumSeconds).toFixed(2)),
      checksumSeconds: Number(result.checksumSeconds.toFixed(2)),
      buildSeconds: Number(result.parts.buildSeconds.toFixed(2)),
      threads: result.threads,
      swapSeconds: Number(result.parts.swapSeconds.toFixed(2)),
      historyEvents: written,
      rawEvents: raw.events,
      views: Object.fromEntries(result.views.map((v) => [v.view, v.rows])),
    };
    report('rebuild', summary, options.json);
    return summary;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
