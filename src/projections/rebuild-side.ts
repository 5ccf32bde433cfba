import Database from 'better-sqlite3';
import { matchesFilter } from '../store/event-filter.js';
import type { RecordedEvent } from '../store/event-store.js';
import type { SliceView } from './rebuild-protocol.js';
import { batchWriter, type Projection } from './runner.js';

/** A table to create: its name and CREATE TABLE statement. */
export interface SideTable {
  readonly name: string;
  readonly sql: string;
}

/**
 * Fresh copies of views in a side file of a rebuild, fed page by page: one transaction a page,
 * the views' batch writers keeping rows in memory between pages (the file is the rebuild's
 * alone). Used in this thread (`LocalBuild`) and in each slice's thread (`rebuild-worker.ts`).
 */
export class SideFile {
  readonly db: Database.Database;
  /** Events applied to each view, over all pages so far (those `counted` accepts). */
  readonly counts: Map<string, number>;
  /** Applies a page; returns how many of its events `counted` accepts. */
  readonly apply: (page: readonly RecordedEvent[]) => number;
  /** Completes the tables once a pass has applied its pages (see `BatchWriter.finish`). */
  readonly finish: () => void;
  /**
   * Runs a pass: over new tables, in one transaction, each page's a savepoint within it. Without
   * a journal a commit only writes the dirty pages out, but a commit per page wrote the same last
   * pages of every B-tree again and again.
   */
  readonly pass: <T>(run: () => T) => T;

  constructor(
    file: string,
    readonly projections: readonly Projection[],
    options: {
      readonly tables: readonly SideTable[];
      readonly cacheMb: number;
      /**
       * Each view's tables in a file of its own, attached; `file` then holds only what the
       * batch writers stage. Default: all in `file`.
       */
      readonly viewFiles?: readonly SliceView[];
      /**
       * The view files are complete views already (merged slices, in WAL mode): tables are not
       * created, rows are read back, journals kept. Default: new, empty tables.
       */
      readonly existing?: boolean;
      /** Only these messages' rows are kept (a slice). */
      readonly owns?: (messageId: string) => boolean;
      /** Whether an event counts as read here (a slice counts shared events once). Default: all. */
      readonly counted?: (event: RecordedEvent) => boolean;
    },
  ) {
    const fresh = options.existing !== true;
    const db = (this.db = new Database(file));
    // A half-built copy is thrown away after a crash, so it need not survive one. The default
    // 2 MB page cache is far smaller than a large view's B-trees: every insert would read pages
    // back from the OS.
    const tune = (schema: string) => {
      if (fresh) {
        db.pragma(`${schema}.journal_mode = OFF`);
        db.pragma(`${schema}.synchronous = OFF`);
      }
      db.pragma(`${schema}.cache_size = -${options.cacheMb * 1024}`);
    };
    tune('main');
    if (options.viewFiles) {
      for (const [i, view] of options.viewFiles.entries()) {
        const names = new Set(projections.find((p) => p.name === view.name)!.tables.map((t) => t.name));
        if (fresh)
          createTables(
            view.file,
            options.tables.filter((t) => names.has(t.name)),
          );
        // Unqualified, a table's name finds the one attached file that has it.
        db.prepare(`ATTACH DATABASE ? AS view${i}`).run(view.file);
        tune(`view${i}`);
      }
    } else if (fresh) {
      for (const table of options.tables) db.exec(table.sql);
    }
    const writers = projections.map((p) =>
      batchWriter(p, db, { exclusive: fresh, ...(options.owns ? { owns: options.owns } : {}) }),
    );
    const counts = (this.counts = new Map(projections.map((p) => [p.name, 0])));
    const counted = options.counted ?? (() => true);
    this.apply = db.transaction((page: readonly RecordedEvent[]) => {
      let events = 0;
      for (const event of page) {
        const mine = counted(event);
        if (mine) events++;
        projections.forEach((projection, i) => {
          if (!matchesFilter(event, projection.filter)) return;
          writers[i]!.apply(event);
          if (mine) counts.set(projection.name, counts.get(projection.name)! + 1);
        });
      }
      for (const writer of writers) writer.flush();
      return events;
    });
    this.finish = db.transaction(() => {
      for (const writer of writers) writer.finish?.();
    });
    this.pass = <T>(run: () => T): T => (fresh ? db.transaction(run)() : run());
  }
}

function createTables(file: string, tables: readonly SideTable[]): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = OFF');
    for (const table of tables) db.exec(table.sql);
  } finally {
    db.close();
  }
}
