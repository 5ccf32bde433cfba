import { rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { startThread } from '../runtime/start-thread.js';
import type { EventFilter } from '../store/event-store.js';
import { quoteIdentifier } from './checksum.js';
import type { MergeTable } from './rebuild-merge.js';
import type { PartitionReply, PartitionRequest, PartitionWork } from './rebuild-protocol.js';
import { newViewFile } from './view-files.js';
import type { Projection } from './runner.js';

/** A pass of a side build: what it read, in all and per view. */
export interface SidePass {
  readonly events: number;
  readonly counts: ReadonlyMap<string, number>;
}

/** Fresh copies of some views, built beside the live file in one or more side files. */
export interface SideBuild {
  readonly projections: readonly Projection[];
  /** Applies the events after `after` up to `upTo`; `progress` gets the position reached. */
  pass(after: bigint, upTo: bigint, progress: (position: bigint) => void): Promise<SidePass>;
  /** Readies the copies for a swap, once a pass is done (merges slices). */
  prepareSwap(): Promise<void>;
  /** Per table, the files holding its rebuilt rows: one, or several to merge in the swap. */
  sources(): ReadonlyMap<string, readonly string[]>;
  /** Views whose rebuilt file is complete, to be swapped in as the view's own file (see `view-files.ts`). */
  ownFiles(): ReadonlyMap<string, string>;
  /** The swap took the own files in: closing must leave them. */
  adopt(): void;
  close(): Promise<void>;
}

/** Young-generation size of a slice's thread: the rebuild allocates fast and keeps a large cache. */
const YOUNG_GENERATION_MB = 64;

/**
 * Views with `partition`, built in `threads` slices of the messages at once, one thread and one
 * side file each, reading the store's SQLite file directly (`readPartitionPages`). The swap
 * merges the slices: their rows never share a key, except in `additive` tables.
 */
export class PartitionedBuild implements SideBuild {
  private readonly files: readonly string[];
  private readonly workers: Worker[];
  private readonly started: Promise<void>;
  private readonly tables: readonly MergeTable[];
  /** After `prepareSwap`: each view's new own file. */
  private merged = new Map<string, string>();
  private readonly viewFile: string;

  constructor(
    readonly projections: readonly Projection[],
    options: {
      readonly storeFile: string;
      /** The live view file; the views' new own files go beside it. */
      readonly viewFile: string;
      readonly sideFile: string;
      readonly threads: number;
      /** The views' tables with their CREATE TABLE statements. */
      readonly tables: readonly MergeTable[];
      readonly filter?: EventFilter;
      readonly pageSize: number;
    },
  ) {
    const shared = [...new Set(projections.flatMap((p) => p.partition?.shared ?? []))];
    this.tables = options.tables;
    this.viewFile = options.viewFile;
    this.files = Array.from({ length: options.threads }, (_, i) => `${options.sideFile}.${i}`);
    for (const file of this.files) removeFiles(file);
    this.workers = this.files.map((sideFile, index) => {
      const work: PartitionWork = {
        storeFile: options.storeFile,
        sideFile,
        views: projections.map((p) => p.name),
        tables: options.tables.map((t) => t.sql),
        partition: { index, count: options.threads, shared },
        pageSize: options.pageSize,
        ...(options.filter ? { filter: options.filter } : {}),
      };
      return startThread(import.meta.url, 'rebuild-worker', work, {
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      });
    });
    this.started = Promise.all(this.workers.map((worker) => this.next(worker, 'ready'))).then(() => undefined);
  }

  async pass(after: bigint, upTo: bigint, progress: (position: bigint) => void): Promise<SidePass> {
    await this.started;
    const reached = this.workers.map(() => after);
    const results = await Promise.all(
      this.workers.map(async (worker, i) => {
        const onProgress = (reply: PartitionReply) => {
          if (reply.type !== 'progress') return;
          reached[i] = reply.position;
          progress(reached.reduce((min, at) => (at < min ? at : min)));
        };
        worker.on('message', onProgress);
        try {
          const request: PartitionRequest = { type: 'pass', after, upTo };
          worker.postMessage(request);
          return await this.next(worker, 'passed');
        } finally {
          worker.off('message', onProgress);
        }
      }),
    );
    const counts = new Map<string, number>();
    for (const result of results)
      for (const [view, n] of Object.entries(result.counts)) counts.set(view, (counts.get(view) ?? 0) + n);
    return { events: results.reduce((sum, r) => sum + r.events, 0), counts };
  }

  /**
   * Merges the slices view by view, each view by one thread into its new own file, indexes
   * included, all threads at once; the swap then only points the view at that file. The largest
   * views are handed out first, each to the least loaded thread.
   */
  async prepareSwap(): Promise<void> {
    this.removeMerged();
    // With a thread for each view there is nothing to share out: no need to count.
    const rows =
      this.projections.length <= this.workers.length
        ? new Map(this.tables.map((t) => [t.name, 1]))
        : countRows(this.files, this.tables);
    const load = this.workers.map(() => 0);
    const assigned = this.workers.map((): Projection[] => []);
    const rowsOf = (p: Projection) => p.tables.reduce((sum, t) => sum + rows.get(t.name)!, 0);
    for (const view of [...this.projections].sort((a, b) => rowsOf(b) - rowsOf(a))) {
      const least = load.indexOf(Math.min(...load));
      load[least]! += rowsOf(view);
      assigned[least]!.push(view);
    }
    await Promise.all(
      this.workers.map(async (worker, i) => {
        for (const view of assigned[i]!) {
          const into = newViewFile(this.viewFile, view.name);
          const names = new Set(view.tables.map((t) => t.name));
          const tables = this.tables.filter((t) => names.has(t.name));
          const request: PartitionRequest = { type: 'merge', tables, files: this.files, into };
          worker.postMessage(request);
          await this.next(worker, 'merged');
          this.merged.set(view.name, into);
        }
      }),
    );
  }

  sources(): ReadonlyMap<string, readonly string[]> {
    return new Map(
      this.projections.flatMap((p) => {
        const own = this.merged.get(p.name);
        return p.tables.map((t) => [t.name, own ? [own] : this.files] as const);
      }),
    );
  }

  ownFiles(): ReadonlyMap<string, string> {
    return this.merged;
  }

  adopt(): void {
    this.merged = new Map();
  }

  private removeMerged(): void {
    for (const file of this.merged.values()) removeFiles(file);
    this.merged = new Map();
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      this.workers.map((worker) => {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        const request: PartitionRequest = { type: 'close' };
        worker.postMessage(request);
        return exited;
      }),
    );
    for (const file of this.files) removeFiles(file);
    this.removeMerged();
  }

  /** The worker's next reply of that type; a failure or an exit rejects. */
  private next<T extends PartitionReply['type']>(
    worker: Worker,
    type: T,
  ): Promise<Extract<PartitionReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (reply: PartitionReply) => {
        if (reply.type === 'failed') {
          done();
          reject(Object.assign(new Error(`rebuild slice failed: ${reply.message}`), { stack: reply.stack }));
        } else if (reply.type === type) {
          done();
          resolve(reply as Extract<PartitionReply, { type: T }>);
        }
      };
      const onError = (error: Error) => {
        done();
        reject(error);
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`rebuild slice thread exited (code ${code})`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  }
}

/** Rows of each table over all slices, to share the merging out evenly. */
function countRows(files: readonly string[], tables: readonly MergeTable[]): Map<string, number> {
  const rows = new Map(tables.map((t) => [t.name, 0]));
  for (const file of files) {
    const db = new Database(file, { readonly: true });
    try {
      for (const table of tables) {
        const count = db
          .prepare(`SELECT count(*) FROM ${quoteIdentifier(table.name)}`)
          .pluck()
          .get() as number;
        rows.set(table.name, rows.get(table.name)! + count);
      }
    } finally {
      db.close();
    }
  }
  return rows;
}

export function removeFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
