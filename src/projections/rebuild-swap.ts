import Database from 'better-sqlite3';
import { quoteIdentifier as quote, viewChecksum } from './checksum.js';
import { rebuiltRows } from './rebuild-merge.js';
import type { SideBuild } from './rebuild-partitions.js';
import { readCheckpoint, type Projection, type ViewTable } from './runner.js';
import {
  bumpViewFilesGeneration,
  forgetViewFile,
  hasOwnFile,
  inViewTransaction,
  recordViewFile,
  syncViewFiles,
  viewFilesGeneration,
} from './view-files.js';

export interface SchemaEntry {
  readonly type: string;
  /** The table, or the table an index is on. */
  readonly table: string;
  readonly sql: string;
}

/** The tables and indexes of the views as `setup` makes them, tables first. */
export function liveSchema(projections: readonly Projection[]): SchemaEntry[] {
  const shape = new Database(':memory:');
  try {
    for (const projection of projections) projection.setup(shape);
    const names = projections.flatMap((p) => p.tables.map((t) => t.name));
    return shape
      .prepare(
        `SELECT type, tbl_name AS "table", sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN (${names.map(() => '?').join(', ')})
         ORDER BY type = 'index', name`,
      )
      .all(...names) as SchemaEntry[];
  } finally {
    shape.close();
  }
}

export interface SwappedView {
  readonly view: string;
  /** Absent when swapped under the lock (see `swapUnderLock`): taking it would hold the lock. */
  readonly checksum?: string;
  readonly liveChecksum?: string;
  readonly rows: Readonly<Record<string, number>>;
}

/** The rebuilt tables, attached to the live connection: per table, the SELECT of its rows. */
class RebuiltSources {
  readonly projections: readonly Projection[];
  readonly rowsOf = new Map<string, string>();
  private readonly attached = new Map<string, string>();

  constructor(
    private readonly live: Database.Database,
    readonly sides: readonly SideBuild[],
  ) {
    this.projections = sides.flatMap((side) => side.projections);
    try {
      for (const side of sides) {
        const sources = side.sources();
        for (const table of side.projections.flatMap((p) => p.tables))
          this.rowsOf.set(table.name, rebuiltRows(table, this.aliasOf(sources.get(table.name)!)));
      }
    } catch (error) {
      this.detach();
      throw error;
    }
  }

  /** Each side file once under its own name. */
  private aliasOf(file: string): string {
    let alias = this.attached.get(file);
    if (alias === undefined) {
      alias = `rebuilt${this.attached.size}`;
      this.live.prepare(`ATTACH DATABASE ? AS ${alias}`).run(file);
      this.attached.set(file, alias);
    }
    return alias;
  }

  checksums(): ReturnType<typeof viewChecksum>[] {
    const source = (table: ViewTable) => `(${this.rowsOf.get(table.name)!})`;
    return this.projections.map((p) => viewChecksum(this.live, p, source));
  }

  /** Rows per table of each view, without the checksum's read of every row in key order. */
  counts(): { rows: Record<string, number> }[] {
    return this.projections.map((p) => ({
      rows: Object.fromEntries(
        p.tables.map((t) => [
          t.name,
          this.live
            .prepare(`SELECT count(*) FROM (${this.rowsOf.get(t.name)!})`)
            .pluck()
            .get() as number,
        ]),
      ),
    }));
  }

  detach(): void {
    for (const alias of this.attached.values()) this.live.exec(`DETACH DATABASE ${alias}`);
    this.attached.clear();
  }
}

function timer(timing: { checksumMs: number }) {
  return <T>(work: () => T): T => {
    const began = performance.now();
    try {
      return work();
    } finally {
      timing.checksumMs += performance.now() - began;
    }
  };
}

/** The live checkpoints' furthest position. */
export function liveHead(live: Database.Database, projections: readonly Projection[], from: bigint): bigint {
  return projections.reduce((max, p) => {
    const at = readCheckpoint(live, p.name);
    return at > max ? at : max;
  }, from);
}

/**
 * Replaces the live views by the rebuilt ones, in one transaction of the live file, if no live
 * view has moved past `position`; returns undefined when one has (the copies must catch up
 * first). A view built in a file of its own is swapped by pointing the view file at it; the
 * others' rows are copied in. `timing.checksumMs` gets the time spent on checksums.
 */
export function trySwap(
  live: Database.Database,
  sides: readonly SideBuild[],
  schema: readonly SchemaEntry[],
  position: bigint,
  timing: { checksumMs: number },
): SwappedView[] | undefined {
  const timed = timer(timing);
  const sources = new RebuiltSources(live, sides);
  try {
    const rebuilt = timed(() => sources.checksums());
    return inViewTransaction(live, (): SwappedView[] | undefined => {
      const livePositions = sources.projections.map((p) => readCheckpoint(live, p.name));
      if (livePositions.some((at) => at > position)) return undefined;
      const liveChecksums = timed(() =>
        sources.projections.map((p, i) => (livePositions[i] === position ? viewChecksum(live, p).checksum : undefined)),
      );
      return swapIn(live, sources, schema, position, rebuilt, liveChecksums);
    });
  } finally {
    sources.detach();
  }
}

/**
 * The swap when live views keep moving past the copies (an engine under steady traffic): under
 * the live file's write lock, so that the runners wait, the copies catch up with the live
 * checkpoints (`catchUp` applies the events up to a position) and are swapped in. No checksum is
 * taken: it reads every row (seconds at a million events), and the runners would wait for it.
 */
export async function swapUnderLock(
  live: Database.Database,
  sides: readonly SideBuild[],
  schema: readonly SchemaEntry[],
  from: bigint,
  catchUp: (target: bigint) => Promise<void>,
): Promise<SwappedView[]> {
  const sources = new RebuiltSources(live, sides);
  try {
    for (;;) {
      const generation = syncViewFiles(live);
      // The write lock of the live file alone: `BEGIN IMMEDIATE` would lock every attached file
      // too, and the copies' own files must stay writable while they catch up.
      live.exec('BEGIN');
      let committed = false;
      try {
        live.exec('DELETE FROM checkpoints WHERE 0');
        // Another rebuild moved the view files since they were attached: look again.
        if (viewFilesGeneration(live) !== generation) continue;
        const position = liveHead(live, sources.projections, from);
        await catchUp(position);
        const views = swapIn(live, sources, schema, position, sources.counts(), []);
        live.exec('COMMIT');
        committed = true;
        return views;
      } finally {
        if (!committed) live.exec('ROLLBACK');
      }
    }
  } finally {
    sources.detach();
  }
}

/** Inside the caller's transaction: moves the rebuilt views in and sets their checkpoints. */
function swapIn(
  live: Database.Database,
  sources: RebuiltSources,
  schema: readonly SchemaEntry[],
  position: bigint,
  rebuilt: readonly { checksum?: string; rows: Record<string, number> }[],
  liveChecksums: readonly (string | undefined)[],
): SwappedView[] {
  const { projections, rowsOf } = sources;
  // Views built with files of their own are swapped by pointing at them; the others are copied in.
  const owned = new Map(sources.sides.flatMap((side) => [...side.ownFiles()]));
  const copied = projections.filter((p) => !owned.has(p.name));
  const copiedTables = new Set(copied.flatMap((p) => p.tables.map((t) => t.name)));
  for (const table of rowsOf.keys()) live.exec(`DROP TABLE IF EXISTS main.${quote(table)}`);
  // Tables and their indexes, as the copies have them: SQLite then moves the rows of each
  // table and of each index as stored, with no sort and no B-tree insert per row.
  for (const entry of schema.filter((e) => copiedTables.has(e.table))) live.exec(entry.sql);
  for (const [table, rows] of rowsOf)
    if (copiedTables.has(table)) live.exec(`INSERT INTO main.${quote(table)} ${rows}`);
  let moved = false;
  for (const view of copied) {
    if (!hasOwnFile(live, view.name)) continue;
    forgetViewFile(live, view.name);
    moved = true;
  }
  for (const [view, file] of owned) {
    recordViewFile(live, view, file);
    moved = true;
  }
  if (moved) bumpViewFilesGeneration(live);
  const save = live.prepare(
    'INSERT INTO checkpoints (view, position) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET position = excluded.position',
  );
  for (const projection of projections) save.run(projection.name, Number(position));
  return projections.map((p, i) => ({
    view: p.name,
    ...(rebuilt[i]!.checksum === undefined ? {} : { checksum: rebuilt[i]!.checksum }),
    rows: rebuilt[i]!.rows,
    ...(liveChecksums[i] ? { liveChecksum: liveChecksums[i] } : {}),
  }));
}
