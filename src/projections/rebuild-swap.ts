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
  readonly checksum: string;
  readonly liveChecksum?: string;
  readonly rows: Readonly<Record<string, number>>;
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
  const timed = <T>(work: () => T): T => {
    const began = performance.now();
    try {
      return work();
    } finally {
      timing.checksumMs += performance.now() - began;
    }
  };
  const attached = new Map<string, string>();
  try {
    // Each side file once under its own name; a table's rows are those of the files holding it.
    const aliasOf = (file: string) => {
      let alias = attached.get(file);
      if (alias === undefined) {
        alias = `rebuilt${attached.size}`;
        live.prepare(`ATTACH DATABASE ? AS ${alias}`).run(file);
        attached.set(file, alias);
      }
      return alias;
    };
    const projections = sides.flatMap((side) => side.projections);
    const rowsOf = new Map<string, string>();
    for (const side of sides) {
      const sources = side.sources();
      for (const table of side.projections.flatMap((p) => p.tables))
        rowsOf.set(table.name, rebuiltRows(table, aliasOf(sources.get(table.name)!)));
    }
    const source = (table: ViewTable) => `(${rowsOf.get(table.name)!})`;
    const rebuilt = timed(() => projections.map((p) => viewChecksum(live, p, source)));
    // Views built with files of their own are swapped by pointing at them; the others are copied in.
    const owned = new Map(sides.flatMap((side) => [...side.ownFiles()]));
    const copied = projections.filter((p) => !owned.has(p.name));
    const copiedTables = new Set(copied.flatMap((p) => p.tables.map((t) => t.name)));
    return inViewTransaction(live, (): SwappedView[] | undefined => {
      const livePositions = projections.map((p) => readCheckpoint(live, p.name));
      if (livePositions.some((at) => at > position)) return undefined;
      const liveChecksums = timed(() =>
        projections.map((p, i) => (livePositions[i] === position ? viewChecksum(live, p).checksum : undefined)),
      );
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
        checksum: rebuilt[i]!.checksum,
        rows: rebuilt[i]!.rows,
        ...(liveChecksums[i] ? { liveChecksum: liveChecksums[i] } : {}),
      }));
    });
  } finally {
    for (const alias of attached.values()) live.exec(`DETACH DATABASE ${alias}`);
  }
}
