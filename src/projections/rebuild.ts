import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { EventStore } from '../store/event-store.js';
import { viewChecksum } from './checksum.js';
import { ProjectionRunner, readCheckpoint, type Projection } from './runner.js';

export interface RebuildProgress {
  readonly view: string;
  readonly position: bigint;
  readonly head: bigint;
}

export interface RebuildResult {
  readonly view: string;
  /** The position the swapped-in view had applied. */
  readonly position: bigint;
  /** Events the view read (its filter leaves the others out). */
  readonly events: number;
  readonly seconds: number;
  readonly checksum: string;
  /**
   * The live view's checksum at the same position, taken in the swap's transaction; absent when
   * the live view was behind the rebuilt one (then nothing comparable existed).
   */
  readonly liveChecksum?: string;
  readonly rows: Readonly<Record<string, number>>;
}

export interface RebuildOptions {
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events applied per transaction while rebuilding. Default 5,000. */
  readonly batchSize?: number;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Replays all history into a fresh copy of a view beside the live one, then swaps it in, in one
 * transaction of the live file: readers see the old view or the new one, never a mix. Engines
 * may keep feeding the live view meanwhile: the swap waits until the copy has caught up with
 * the live checkpoint, under the live file's write lock, so no event is lost or applied twice.
 */
export async function rebuildView(
  store: EventStore,
  live: Database.Database,
  projection: Projection,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  if (live.memory) throw new Error('rebuild needs a view file; an in-memory view is rebuilt by reopening it');
  projection.setup(live);
  const file = `${live.name}.rebuild-${projection.name}`;
  removeFiles(file);
  const fresh = new Database(file);
  // A half-built copy is thrown away after a crash, so it need not survive one.
  fresh.pragma('journal_mode = OFF');
  fresh.pragma('synchronous = OFF');
  fresh.exec('CREATE TABLE checkpoints (view TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID');
  const started = performance.now();
  try {
    let events = 0;
    const runner = new ProjectionRunner(store, fresh, projection, {
      batchSize: options.batchSize ?? 5_000,
      onBatch: (_position, count) => (events += count),
    });
    let head = await store.headPosition();
    const progress = (position: bigint) => options.onProgress?.({ view: projection.name, position, head });
    await runner.catchUp({ position: head }, progress);
    for (;;) {
      const swapped = trySwap(live, fresh, file, projection, runner.checkpoint);
      if (swapped) {
        return {
          view: projection.name,
          position: runner.checkpoint,
          events,
          seconds: (performance.now() - started) / 1000,
          ...swapped,
        };
      }
      // The live view moved past the copy while it was being built: catch the copy up to it.
      head = readCheckpoint(live, projection.name);
      await runner.catchUp({ position: head }, progress);
    }
  } finally {
    fresh.close();
    removeFiles(file);
  }
}

type Swapped = Pick<RebuildResult, 'checksum' | 'liveChecksum' | 'rows'>;

function trySwap(
  live: Database.Database,
  fresh: Database.Database,
  file: string,
  projection: Projection,
  position: bigint,
): Swapped | undefined {
  const rebuilt = viewChecksum(fresh, projection);
  const schema = fresh
    .prepare(
      `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN (${projection.tables
        .map(() => '?')
        .join(', ')}) ORDER BY type = 'index', name`,
    )
    .all(...projection.tables.map((t) => t.name)) as { type: string; name: string; tbl_name: string; sql: string }[];
  live.prepare('ATTACH DATABASE ? AS rebuilt').run(file);
  try {
    return live
      .transaction((): Swapped | undefined => {
        const livePosition = readCheckpoint(live, projection.name);
        if (livePosition > position) return undefined;
        const liveChecksum = livePosition === position ? viewChecksum(live, projection).checksum : undefined;
        for (const table of projection.tables) live.exec(`DROP TABLE IF EXISTS main.${quote(table.name)}`);
        for (const entry of schema) live.exec(entry.sql);
        for (const table of projection.tables) {
          live.exec(`INSERT INTO main.${quote(table.name)} SELECT * FROM rebuilt.${quote(table.name)}`);
        }
        live
          .prepare(
            'INSERT INTO checkpoints (view, position) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET position = excluded.position',
          )
          .run(projection.name, Number(position));
        return { checksum: rebuilt.checksum, rows: rebuilt.rows, ...(liveChecksum ? { liveChecksum } : {}) };
      })
      .immediate();
  } finally {
    live.exec('DETACH DATABASE rebuilt');
  }
}

function removeFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
