import { availableParallelism } from 'node:os';
import type Database from 'better-sqlite3';
import type { EventFilter, EventStore } from '../store/event-store.js';
import { LocalBuild } from './rebuild-local.js';
import { PartitionedBuild, type SideBuild } from './rebuild-partitions.js';
import type { SideTable } from './rebuild-side.js';
import { liveHead, liveSchema, swapUnderLock, trySwap, type SchemaEntry } from './rebuild-swap.js';
import type { Projection } from './runner.js';
import { openViewFiles, removeStaleViewFiles, setupView, syncViewFiles, viewFileOf } from './view-files.js';

export interface RebuildProgress {
  readonly position: bigint;
  readonly head: bigint;
}

export interface RebuiltView {
  readonly view: string;
  /** Events this view read (its filter leaves the others out). */
  readonly events: number;
  /** Absent when the swap was made under the lock (`RebuildResult.underLock`). */
  readonly checksum?: string;
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
  /** Where the rest went: building the copies (reading, decoding, applying), swapping them in. */
  readonly parts: { readonly buildSeconds: number; readonly swapSeconds: number };
  /**
   * The live views kept moving past the copies, so these caught up under the live file's write
   * lock and were swapped there, without checksums (see `swapUnderLock`).
   */
  readonly underLock: boolean;
  /** Threads that built views in slices of the messages (0: all built in this thread). */
  readonly threads: number;
  readonly views: readonly RebuiltView[];
}

export interface RebuildOptions {
  readonly onProgress?: (progress: RebuildProgress) => void;
  /**
   * Events read and applied per transaction while rebuilding. Default 2,000: a page of parsed
   * events that outlives the young generation is copied into the old one, and 5,000-event pages
   * made a 1M-event rebuild about a tenth slower.
   */
  readonly batchSize?: number;
  /**
   * Threads that build the views with `partition`, each a slice of the messages, when the store
   * is a SQLite file (such views then get files of their own). Default: the machine's cores, up
   * to 4; at most 8.
   */
  readonly threads?: number;
  /** Swaps tried before one under the live file's write lock (see `swapUnderLock`). Default 2. */
  readonly optimisticSwaps?: number;
}

/**
 * Swaps tried while the live views go on (each after catching up with them) before the swap takes
 * the live file's write lock to catch up: under steady traffic the live views always move on
 * while the copies are checksummed, and the tries would never end.
 */
const OPTIMISTIC_SWAPS = 2;

/** SQLite attaches at most 10 files to a connection, and a merge attaches every slice. */
const MAX_THREADS = 8;

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
 * Replays all history into fresh copies of views beside the live ones, then swaps them in, in one
 * transaction of the live file: readers see the old views or the new ones, never a mix. Views
 * with `partition` are built on several cores when the store is a SQLite file, each thread one
 * slice of the messages in its own side file; the others in one pass of this thread. Engines may
 * keep feeding the live views meanwhile: the swap waits until the copies have caught up with the
 * live checkpoints, under the live file's write lock, so no event is lost or applied twice.
 */
export async function rebuildViews(
  store: EventStore,
  live: Database.Database,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  if (live.memory) throw new Error('rebuild needs a view file; an in-memory view is rebuilt by reopening it');
  openViewFiles(live);
  for (const projection of projections) setupView(live, projection);
  const started = performance.now();
  // The copies are made as the live tables are, without their secondary indexes: the swap then
  // moves rows as stored (SQLite's transfer of a `SELECT *` between equal tables) and builds each
  // index once, by one sort.
  const schema = liveSchema(projections);
  const pageSize = options.batchSize ?? 2_000;
  const threads = Math.min(
    MAX_THREADS,
    Math.max(1, Math.floor(options.threads ?? Math.min(availableParallelism(), 4))),
  );
  const sliced = store.sqliteFile !== undefined ? projections.filter((p) => p.partition) : [];
  const whole = projections.filter((p) => !sliced.includes(p));
  const sideFile = `${live.name}.rebuild`;
  const sides: SideBuild[] = [];
  const timing = { checksumMs: 0, buildMs: 0, swapMs: 0 };
  let position = 0n;
  let events = 0;
  let counts = new Map<string, number>();

  const pass = async (target: bigint) => {
    const began = performance.now();
    const reached = sides.map(() => position);
    const results = await Promise.all(
      sides.map((side, i) =>
        side.pass(position, target, (at) => {
          reached[i] = at;
          options.onProgress?.({ position: reached.reduce((min, p) => (p < min ? p : min)), head: target });
        }),
      ),
    );
    events += results.reduce((sum, r) => sum + r.events, 0);
    counts = new Map(results.flatMap((r) => [...r.counts]));
    // Whatever the filters left out up to the target has been seen too.
    position = target;
    options.onProgress?.({ position, head: target });
    timing.buildMs += performance.now() - began;
  };

  try {
    if (whole.length > 0) {
      const filter = unionFilter(whole);
      sides.push(
        new LocalBuild(store, whole, {
          sideFile,
          tables: tablesOf(whole, schema),
          indexes: indexesOf(whole, schema),
          pageSize,
          ...(filter ? { filter } : {}),
        }),
      );
    }
    if (sliced.length > 0) {
      const filter = unionFilter(sliced);
      sides.push(
        new PartitionedBuild(sliced, {
          storeFile: store.sqliteFile!,
          viewFile: live.name,
          sideFile,
          threads,
          tables: sliced.flatMap((p) => p.tables.map((t) => ({ ...t, ...schemaOf(schema, t.name) }))),
          pageSize,
          ...(filter ? { filter } : {}),
        }),
      );
    }
    await pass(await store.headPosition());
    for (let attempt = 1; ; attempt++) {
      const swapStarted = performance.now();
      const buildBefore = timing.buildMs;
      await Promise.all(sides.map((side) => side.prepareSwap()));
      const replaced = new Set(sliced.map((p) => viewFileOf(live, p.name)).filter((f) => f !== undefined));
      const underLock = attempt > (options.optimisticSwaps ?? OPTIMISTIC_SWAPS);
      const views = underLock
        ? await swapUnderLock(live, sides, schema, position, (target) => pass(target))
        : trySwap(live, sides, schema, position, timing);
      if (views) {
        // The new files are the views' now; the ones they replaced stay one more rebuild.
        for (const side of sides) side.adopt();
        syncViewFiles(live);
        removeStaleViewFiles(
          live,
          sliced.map((p) => p.name),
          replaced,
        );
      }
      // A catch-up under the lock counts as building.
      timing.swapMs += performance.now() - swapStarted - (timing.buildMs - buildBefore);
      if (views) {
        const order = new Map(projections.map((p, i) => [p.name, i]));
        return {
          position,
          events,
          seconds: (performance.now() - started) / 1000,
          checksumSeconds: timing.checksumMs / 1000,
          parts: {
            buildSeconds: timing.buildMs / 1000,
            // The checksums run inside the swap; they are counted apart.
            swapSeconds: (timing.swapMs - timing.checksumMs) / 1000,
          },
          underLock,
          threads: sliced.length > 0 ? threads : 0,
          views: views
            .map((v) => ({ ...v, events: counts.get(v.view) ?? 0 }))
            .sort((a, b) => order.get(a.view)! - order.get(b.view)!),
        };
      }
      // A live view moved past the copies while they were built: catch the copies up to it.
      await pass(liveHead(live, projections, position));
    }
  } finally {
    await Promise.allSettled(sides.map((side) => side.close()));
  }
}

/** A table's CREATE TABLE statement and its CREATE INDEX ones. */
function schemaOf(schema: readonly SchemaEntry[], table: string): { sql: string; indexes: string[] } {
  const entries = schema.filter((e) => e.table === table);
  return {
    sql: entries.find((e) => e.type === 'table')!.sql,
    indexes: entries.filter((e) => e.type !== 'table').map((e) => e.sql),
  };
}

/** These views' tables with their CREATE TABLE statements. */
function tablesOf(projections: readonly Projection[], schema: readonly SchemaEntry[]): SideTable[] {
  const names = new Set(projections.flatMap((p) => p.tables.map((t) => t.name)));
  return schema.filter((e) => e.type === 'table' && names.has(e.table)).map((e) => ({ name: e.table, sql: e.sql }));
}

/** The CREATE INDEX statements of these views' tables. */
function indexesOf(projections: readonly Projection[], schema: readonly SchemaEntry[]): string[] {
  const names = new Set(projections.flatMap((p) => p.tables.map((t) => t.name)));
  return schema.filter((e) => e.type !== 'table' && names.has(e.table)).map((e) => e.sql);
}
