import type { EventFilter } from '../store/event-store.js';
import type { MessagePartition } from '../store/sqlite/partition-pages.js';
import type { MergeTable } from './rebuild-merge.js';

/** What a rebuild slice's thread is given at its start. */
export interface PartitionWork {
  readonly storeFile: string;
  readonly sideFile: string;
  /** Names of the views it builds (all with `partition`). */
  readonly views: readonly string[];
  /** The CREATE TABLE statements of the views' tables, as the live file has them. */
  readonly tables: readonly string[];
  readonly partition: MessagePartition;
  readonly filter?: EventFilter;
  readonly pageSize: number;
}

export type PartitionRequest =
  | { readonly type: 'pass'; readonly after: bigint; readonly upTo: bigint }
  /** Merge these tables of all slices (`files`, in slice order) into the file `into`. */
  | {
      readonly type: 'merge';
      readonly tables: readonly MergeTable[];
      readonly files: readonly string[];
      readonly into: string;
    }
  | { readonly type: 'close' };

export type PartitionReply =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly position: bigint }
  /** `events`: the events of the pass this slice counts (shared ones only the first slice). */
  | { readonly type: 'passed'; readonly events: number; readonly counts: Readonly<Record<string, number>> }
  | { readonly type: 'merged' }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };
