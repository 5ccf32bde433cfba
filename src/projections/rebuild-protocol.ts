import type { EventFilter } from '../store/event-store.js';
import type { MessagePartition } from '../store/sqlite/partition-pages.js';
import type { MergeTable } from './rebuild-merge.js';

/** A view a slice builds: its name and the file its tables go in. */
export interface SliceView {
  readonly name: string;
  readonly file: string;
}

/** The scratch file of the thread that catches merged views up (see the `follow` request). */
export const followFile = (sideFile: string): string => `${sideFile}.follow`;

/** What a rebuild slice's thread is given at its start. */
export interface PartitionWork {
  readonly storeFile: string;
  /** A scratch file of the slice's own (staging tables). */
  readonly sideFile: string;
  /** The views it builds (all with `partition`), each in a file of its own. */
  readonly views: readonly SliceView[];
  /** The views' tables, as the live file has them. */
  readonly tables: readonly MergeTable[];
  readonly partition: MessagePartition;
  readonly filter?: EventFilter;
  readonly pageSize: number;
}

export type PartitionRequest =
  | { readonly type: 'pass'; readonly after: bigint; readonly upTo: bigint }
  /** Close the slice's files, so that any thread may merge them. */
  | { readonly type: 'release' }
  /**
   * Append these tables of the `others` files (in slice order) to `main` (the first slice's file
   * of one view), build their indexes, then rename `main` to `into`.
   */
  | {
      readonly type: 'merge';
      readonly tables: readonly MergeTable[];
      readonly main: string;
      readonly others: readonly string[];
      readonly into: string;
    }
  /** From now on, apply passes to these merged files, every message (catching up after a merge). */
  | { readonly type: 'follow'; readonly views: readonly SliceView[] }
  | { readonly type: 'close' };

export type PartitionReply =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly position: bigint }
  /** `events`: the events of the pass this slice counts (shared ones only the first slice). */
  | { readonly type: 'passed'; readonly events: number; readonly counts: Readonly<Record<string, number>> }
  | { readonly type: 'released' }
  | { readonly type: 'merged' }
  | { readonly type: 'following' }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };
