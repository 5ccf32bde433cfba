import Database from 'better-sqlite3';
import type { EventFilter, EventStore, RecordedEvent } from '../store/event-store.js';
import { matchesFilter } from '../store/event-filter.js';
import { readPages } from './read-pages.js';
import { removeFiles, type SideBuild, type SidePass } from './rebuild-partitions.js';
import { batchWriter, type Projection } from './runner.js';

/** Fresh copies of views in one side file, built in this thread from any store. */
export class LocalBuild implements SideBuild {
  private readonly file: string;
  private readonly db: Database.Database;
  private readonly apply: (page: readonly RecordedEvent[]) => void;
  private readonly finish: () => void;
  private readonly counts: Map<string, number>;
  private indexed = false;

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    private readonly options: {
      readonly sideFile: string;
      readonly tables: readonly string[];
      /** Built when a pass is done, so the swap moves them as stored. */
      readonly indexes: readonly string[];
      readonly filter?: EventFilter;
      readonly pageSize: number;
    },
  ) {
    this.file = options.sideFile;
    removeFiles(options.sideFile);
    const db = (this.db = new Database(options.sideFile));
    // A half-built copy is thrown away after a crash, so it need not survive one.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // The default 2 MB page cache is far smaller than a large view's B-trees: every insert would
    // read pages back from the OS. 256 MB keeps the hot part of the indexes in memory.
    db.pragma('cache_size = -262144');
    for (const sql of options.tables) db.exec(sql);
    // The side file is this rebuild's alone: its writers keep rows in memory from page to page.
    const writers = projections.map((p) => batchWriter(p, db, { exclusive: true }));
    this.finish = db.transaction(() => {
      for (const writer of writers) writer.finish?.();
    });
    const counts = (this.counts = new Map(projections.map((p) => [p.name, 0])));
    this.apply = db.transaction((page: readonly RecordedEvent[]) => {
      for (const event of page) {
        projections.forEach((projection, i) => {
          if (!matchesFilter(event, projection.filter)) return;
          writers[i]!.apply(event);
          counts.set(projection.name, counts.get(projection.name)! + 1);
        });
      }
      for (const writer of writers) writer.flush();
    });
  }

  async pass(after: bigint, upTo: bigint, progress: (position: bigint) => void): Promise<SidePass> {
    let events = 0;
    for await (const page of readPages(this.store, {
      after,
      upTo,
      pageSize: this.options.pageSize,
      ...(this.options.filter ? { filter: this.options.filter } : {}),
    })) {
      this.apply(page);
      events += page.length;
      progress(page[page.length - 1]!.position);
    }
    this.finish();
    // Counts are of all passes so far, as a slice's are.
    return { events, counts: new Map(this.counts) };
  }

  sources(): ReadonlyMap<string, readonly string[]> {
    return new Map(this.projections.flatMap((p) => p.tables.map((t) => [t.name, [this.file]] as const)));
  }

  prepareSwap(): Promise<void> {
    // Once: a swap that found the live views ahead is followed by a pass and a second try.
    if (!this.indexed) for (const sql of this.options.indexes) this.db.exec(sql);
    this.indexed = true;
    return Promise.resolve();
  }

  ownFiles(): ReadonlyMap<string, string> {
    return new Map();
  }

  adopt(): void {}

  close(): Promise<void> {
    this.db.close();
    removeFiles(this.file);
    return Promise.resolve();
  }
}
