import type { EventFilter, EventStore } from '../store/event-store.js';
import { readPages } from './read-pages.js';
import { removeFiles, type SideBuild, type SidePass } from './rebuild-partitions.js';
import { SideFile, type SideTable } from './rebuild-side.js';
import type { Projection } from './runner.js';

/** Fresh copies of views in one side file, built in this thread from any store. */
export class LocalBuild implements SideBuild {
  private readonly file: string;
  private readonly side: SideFile;
  private indexed = false;

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    private readonly options: {
      readonly sideFile: string;
      readonly tables: readonly SideTable[];
      /** Built when a pass is done, so the swap moves them as stored. */
      readonly indexes: readonly string[];
      readonly filter?: EventFilter;
      readonly pageSize: number;
    },
  ) {
    this.file = options.sideFile;
    removeFiles(options.sideFile);
    this.side = new SideFile(options.sideFile, projections, { tables: options.tables, cacheMb: 256 });
  }

  async pass(after: bigint, upTo: bigint, progress: (position: bigint) => void): Promise<SidePass> {
    let events = 0;
    for await (const page of readPages(this.store, {
      after,
      upTo,
      pageSize: this.options.pageSize,
      ...(this.options.filter ? { filter: this.options.filter } : {}),
    })) {
      this.side.apply(page);
      events += page.length;
      progress(page[page.length - 1]!.position);
    }
    this.side.finish();
    // Counts are of all passes so far, as a slice's are.
    return { events, counts: new Map(this.side.counts) };
  }

  sources(): ReadonlyMap<string, string> {
    return new Map(this.projections.flatMap((p) => p.tables.map((t) => [t.name, this.file] as const)));
  }

  prepareSwap(): Promise<void> {
    // Once: a swap that found the live views ahead is followed by a pass and a second try.
    if (!this.indexed) for (const sql of this.options.indexes) this.side.db.exec(sql);
    this.indexed = true;
    return Promise.resolve();
  }

  ownFiles(): ReadonlyMap<string, string> {
    return new Map();
  }

  adopt(): void {}

  close(): Promise<void> {
    this.side.db.close();
    removeFiles(this.file);
    return Promise.resolve();
  }
}
