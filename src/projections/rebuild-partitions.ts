import { rmSync, statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../runtime/start-thread.js';
import type { EventFilter } from '../store/event-store.js';
import { messageRanges, openForReading } from '../store/sqlite/partition-pages.js';
import type { MergeTable } from './rebuild-merge.js';
import {
  followFile,
  type PartitionReply,
  type PartitionRequest,
  type PartitionWork,
  type SliceView,
} from './rebuild-protocol.js';
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
  /** Per table, the file holding its rebuilt rows. */
  sources(): ReadonlyMap<string, string>;
  /** Views whose rebuilt file is complete, to be swapped in as the view's own file (see `view-files.ts`). */
  ownFiles(): ReadonlyMap<string, string>;
  /** The swap took the own files in: closing must leave them. */
  adopt(): void;
  close(): Promise<void>;
}

/** Young-generation size of a slice's thread: the rebuild allocates fast and keeps a large cache. */
const YOUNG_GENERATION_MB = 64;

/** The files of one slice: a scratch file and a file per view. */
interface Slice {
  readonly scratch: string;
  readonly views: readonly SliceView[];
}

/**
 * Views with `partition`, built in `threads` slices of the messages at once, one thread and one
 * file per view each, reading the store's SQLite file directly (`readPartitionPages`). Slices are
 * ranges of message ids, so the swap merges them by appending each slice's rows to the first
 * one's file, which becomes the view's own.
 */
export class PartitionedBuild implements SideBuild {
  private readonly slices: readonly Slice[];
  private readonly workers: Worker[];
  private readonly started: Promise<void>;
  private readonly tables: readonly MergeTable[];
  private readonly viewFile: string;
  /** After `prepareSwap`: each view's merged file; later passes go there, in the first thread. */
  private readonly merged = new Map<string, string>();
  /** The merged files are the live views' now: closing leaves them. */
  private adopted = false;
  /** Events per view applied before the merge (a pass reports those since). */
  private countsBefore = new Map<string, number>();

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
    const store = openForReading(options.storeFile);
    const ranges = (() => {
      try {
        return messageRanges(store, options.threads);
      } finally {
        store.close();
      }
    })();
    this.slices = ranges.map((_, i) => ({
      scratch: `${options.sideFile}.${i}`,
      views: projections.map((p) => ({ name: p.name, file: `${options.sideFile}.${i}.${p.name}` })),
    }));
    for (const file of this.sliceFiles()) removeFiles(file);
    this.workers = this.slices.map((slice, index) => {
      const work: PartitionWork = {
        storeFile: options.storeFile,
        sideFile: slice.scratch,
        views: slice.views,
        tables: options.tables,
        partition: { index, count: options.threads, shared, ...ranges[index] },
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
    const workers = this.merged.size > 0 ? this.workers.slice(0, 1) : this.workers;
    const reached = workers.map(() => after);
    const results = await Promise.all(
      workers.map(async (worker, i) => {
        const onProgress = (reply: PartitionReply) => {
          if (reply.type !== 'progress') return;
          reached[i] = reply.position;
          progress(reached.reduce((min, at) => (at < min ? at : min)));
        };
        worker.on('message', onProgress);
        try {
          return await this.ask(worker, { type: 'pass', after, upTo }, 'passed');
        } finally {
          worker.off('message', onProgress);
        }
      }),
    );
    const counts = new Map(this.merged.size > 0 ? this.countsBefore : []);
    for (const result of results)
      for (const [view, n] of Object.entries(result.counts)) counts.set(view, (counts.get(view) ?? 0) + n);
    if (this.merged.size === 0) this.countsBefore = counts;
    return { events: results.reduce((sum, r) => sum + r.events, 0), counts };
  }

  /**
   * Merges the slices view by view, each view by one thread, indexes included, all threads at
   * once; the swap then only points the view at its file. The largest views are handed out
   * first, each to the least loaded thread. Once merged, a pass catches the merged files up.
   */
  async prepareSwap(): Promise<void> {
    if (this.merged.size > 0) return;
    await Promise.all(this.workers.map((worker) => this.ask(worker, { type: 'release' }, 'released')));
    const sizeOf = (view: string) =>
      this.slices.reduce((sum, slice) => sum + statSync(slice.views.find((v) => v.name === view)!.file).size, 0);
    const load = this.workers.map(() => 0);
    const assigned = this.workers.map((): Projection[] => []);
    const sizes = new Map(this.projections.map((p) => [p.name, sizeOf(p.name)]));
    for (const view of [...this.projections].sort((a, b) => sizes.get(b.name)! - sizes.get(a.name)!)) {
      const least = load.indexOf(Math.min(...load));
      load[least]! += sizes.get(view.name)!;
      assigned[least]!.push(view);
    }
    await Promise.all(
      this.workers.map(async (worker, i) => {
        for (const view of assigned[i]!) {
          const [main, ...others] = this.slices.map((slice) => slice.views.find((v) => v.name === view.name)!.file);
          const into = newViewFile(this.viewFile, view.name);
          const names = new Set(view.tables.map((t) => t.name));
          const tables = this.tables.filter((t) => names.has(t.name));
          await this.ask(worker, { type: 'merge', tables, main: main!, others, into }, 'merged');
          this.merged.set(view.name, into);
        }
      }),
    );
    const views = this.projections.map((p) => ({ name: p.name, file: this.merged.get(p.name)! }));
    await this.ask(this.workers[0]!, { type: 'follow', views }, 'following');
  }

  sources(): ReadonlyMap<string, string> {
    return new Map(this.projections.flatMap((p) => p.tables.map((t) => [t.name, this.merged.get(p.name)!] as const)));
  }

  ownFiles(): ReadonlyMap<string, string> {
    return this.merged;
  }

  adopt(): void {
    this.adopted = true;
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
    for (const file of this.sliceFiles()) removeFiles(file);
    if (!this.adopted) for (const file of this.merged.values()) removeFiles(file);
  }

  private sliceFiles(): string[] {
    return [
      followFile(this.slices[0]!.scratch),
      ...this.slices.flatMap((slice) => [slice.scratch, ...slice.views.map((v) => v.file)]),
    ];
  }

  private ask<T extends PartitionReply['type']>(
    worker: Worker,
    request: PartitionRequest,
    type: T,
  ): Promise<Extract<PartitionReply, { type: T }>> {
    const reply = this.next(worker, type);
    worker.postMessage(request);
    return reply;
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

export function removeFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
