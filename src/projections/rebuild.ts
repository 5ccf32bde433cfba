import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { EventFilter, EventStore, RecordedEvent } from '../store/event-store.js';
import { matchesFilter } from '../store/event-filter.js';
import { quoteIdentifier as quote, viewChecksum } from './checksum.js';
import { readPages } from './read-pages.js';
import { batchWriter, readCheckpoint, type Projection } from './runner.js';

export interface RebuildProgress {
  readonly position: bigint;
  readonly head: bigint;
}

export interface RebuiltView {
  readonly view: string;
  /** Events this view read (its filter leaves the others out). */
  readonly events: number;
  readonly checksum: string;
  /**
   * The live view's checksum at the same position, taken in the swap's transaction; absent when
   * the live view was behind the rebuilt one (then nothing comparable existed).
   */
  readonly liveChecksum?: string;
  readonly rows: Readonly<Record<string, number>>;
}

export interface RebuildResult {
  /** The position the swapped-in views had applied. */
  readonly position: bigint;
  /** Events read from the store in the pass. */
  readonly events: number;
  /** Wall time of the whole rebuild, checksums included. */
  readonly seconds: number;
  /** Of that, the time spent computing the rebuilt and live checksums (verification, not rebuilding). */
  readonly checksumSeconds: number;
  /** Where the rest went: reading and decoding, applying to the copies, swapping them in. */
  readonly parts: { readonly readSeconds: number; readonly applySeconds: number; readonly swapSeconds: number };
  readonly views: readonly RebuiltView[];
}

export interface RebuildOptions {
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events applied per transaction while rebuilding. Default 5,000. */
  readonly batchSize?: number;
}

/** What the pass must read: everything any of the views reads. */
function unionFilter(projections: readonly Projection[]): EventFilter | undefined {
  if (projections.some((p) => !p.filter)) return undefined;
  const prefixes = projections.map((p) => p.filter!.streamPrefixes);
  const types = projections.map((p) => p.filter!.eventTypes);
  return {
    ...(prefixes.every(Boolean) ? { streamPrefixes: [...new Set(prefixes.flatMap((p) => p!))] } : {}),
    ...(types.every(Boolean) ? { eventTypes: [...new Set(types.flatMap((t) => t!))] } : {}),
  };
}

/**
 * Replays all history into fresh copies of views beside the live ones (one pass over the store
 * for all of them), then swaps them in, in one transaction of the live file: readers see the old
 * views or the new ones, never a mix. Engines may keep feeding the live views meanwhile: the swap
 * waits until the copies have caught up with the live checkpoints, under the live file's write
 * lock, so no event is lost or applied twice.
 */
export async function rebuildViews(
  store: EventStore,
  live: Database.Database,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  if (live.memory) throw new Error('rebuild needs a view file; an in-memory view is rebuilt by reopening it');
  for (const projection of projections) projection.setup(live);
  const file = `${live.name}.rebuild`;
  removeFiles(file);
  const fresh = new Database(file);
  // A half-built copy is thrown away after a crash, so it need not survive one.
  fresh.pragma('journal_mode = OFF');
  fresh.pragma('synchronous = OFF');
  // The default 2 MB page cache is far smaller than a large view's B-trees: every insert would
  // read pages back from the OS. 256 MB keeps the hot part of the indexes in memory.
  fresh.pragma('cache_size = -262144');
  // The copies are made as the live tables are, without their secondary indexes: the swap then
  // moves rows page by page (SQLite's transfer of a \`SELECT *\` between equal tables) and builds
  // each index once, by one sort.
  const schema = liveSchema(projections);
  for (const entry of schema.filter((e) => e.type === 'table')) fresh.exec(entry.sql);
  const started = performance.now();
  const counts = new Map(projections.map((p) => [p.name, 0]));
  const filter = unionFilter(projections);
  const batchSize = options.batchSize ?? 5_000;
  let position = 0n;
  let events = 0;
  const timing = { checksumMs: 0, readMs: 0, applyMs: 0, swapMs: 0 };

  // The side file is this rebuild's alone: its writers keep rows in memory from page to page.
  const writers = projections.map((p) => batchWriter(p, fresh, { exclusive: true }));
  const pass = async (target: bigint) => {
    const apply = fresh.transaction((page: readonly RecordedEvent[]) => {
      for (const event of page) {
        projections.forEach((projection, i) => {
          if (!matchesFilter(event, projection.filter)) return;
          writers[i]!.apply(event);
          counts.set(projection.name, counts.get(projection.name)! + 1);
        });
      }
      for (const writer of writers) writer.flush();
    });
    const pages = readPages(store, {
      after: position,
      upTo: target,
      pageSize: batchSize,
      ...(filter ? { filter } : {}),
    });
    let mark = performance.now();
    for await (const page of pages) {
      const read = performance.now();
      timing.readMs += read - mark;
      apply(page);
      mark = performance.now();
      timing.applyMs += mark - read;
      events += page.length;
      position = page[page.length - 1]!.position;
      options.onProgress?.({ position, head: target });
    }
    // Whatever the filter left out up to the target has been seen too.
    position = target;
    options.onProgress?.({ position, head: target });
  };

  try {
    await pass(await store.headPosition());
    for (;;) {
      const swapStarted = performance.now();
      const views = trySwap(live, fresh, file, projections, schema, position, timing);
      timing.swapMs += performance.now() - swapStarted;
      if (views) {
        return {
          position,
          events,
          seconds: (performance.now() - started) / 1000,
          checksumSeconds: timing.checksumMs / 1000,
          parts: {
            readSeconds: timing.readMs / 1000,
            applySeconds: timing.applyMs / 1000,
            // The checksums run inside the swap; they are counted apart.
            swapSeconds: (timing.swapMs - timing.checksumMs) / 1000,
          },
          views: views.map((v) => ({ ...v, events: counts.get(v.view)! })),
        };
      }
      // A live view moved past the copies while they were built: catch the copies up to it.
      await pass(
        projections.reduce((max, p) => {
          const at = readCheckpoint(live, p.name);
          return at > max ? at : max;
        }, position),
      );
    }
  } finally {
    fresh.close();
    removeFiles(file);
  }
}

function trySwap(
  live: Database.Database,
  fresh: Database.Database,
  file: string,
  projections: readonly Projection[],
  schema: readonly SchemaEntry[],
  position: bigint,
  timing: { checksumMs: number },
): Omit<RebuiltView, 'events'>[] | undefined {
  const timed = <T>(work: () => T): T => {
    const began = performance.now();
    try {
      return work();
    } finally {
      timing.checksumMs += performance.now() - began;
    }
  };
  const rebuilt = timed(() => projections.map((p) => viewChecksum(fresh, p)));
  const tables = projections.flatMap((p) => p.tables);
  // Equal tables and a bare `SELECT *`: SQLite copies the rows as they are stored, in key order.
  const copy = tables.map(
    (table) => `INSERT INTO main.${quote(table.name)} SELECT * FROM rebuilt.${quote(table.name)}`,
  );
  live.prepare('ATTACH DATABASE ? AS rebuilt').run(file);
  try {
    return live
      .transaction((): Omit<RebuiltView, 'events'>[] | undefined => {
        const livePositions = projections.map((p) => readCheckpoint(live, p.name));
        if (livePositions.some((at) => at > position)) return undefined;
        const liveChecksums = timed(() =>
          projections.map((p, i) => (livePositions[i] === position ? viewChecksum(live, p).checksum : undefined)),
        );
        for (const table of tables) live.exec(`DROP TABLE IF EXISTS main.${quote(table.name)}`);
        // Tables, then their rows, then the indexes: one sort per index instead of a B-tree
        // insert per row.
        for (const entry of schema.filter((e) => e.type === 'table')) live.exec(entry.sql);
        for (const sql of copy) live.exec(sql);
        for (const entry of schema.filter((e) => e.type !== 'table')) live.exec(entry.sql);
        const save = live.prepare(
          'INSERT INTO checkpoints (view, position) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET position = excluded.position',
        );
        for (const projection of projections) save.run(projection.name, Number(position));
        return projections.map((p, i) => ({
          view: p.name,
          checksum: rebuilt[i]!.checksum,
          rows: rebuilt[i]!.rows,
          ...(liveChecksums[i] ? { liveChecksum: liveChecksums[i] } : {}),
        }));
      })
      .immediate();
  } finally {
    live.exec('DETACH DATABASE rebuilt');
  }
}

interface SchemaEntry {
  readonly type: string;
  readonly sql: string;
}

/** The tables and indexes of the views as `setup` makes them, tables first. */
function liveSchema(projections: readonly Projection[]): SchemaEntry[] {
  const shape = new Database(':memory:');
  try {
    for (const projection of projections) projection.setup(shape);
    const names = projections.flatMap((p) => p.tables.map((t) => t.name));
    return shape
      .prepare(
        `SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN (${names.map(() => '?').join(', ')})
         ORDER BY type = 'index', name`,
      )
      .all(...names) as SchemaEntry[];
  } finally {
    shape.close();
  }
}

function removeFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
