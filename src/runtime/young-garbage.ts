import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How many bytes of short-lived Buffers a transfer may leave behind before they are collected.
 *
 * V8 frees a dead Buffer's memory only when it collects the young generation. With 64 KiB chunks
 * the young generation holds few objects and rarely fills, so the collection comes when the
 * Buffers allocated since the last one reach a fixed 32 MB (twice the largest semi-space,
 * whatever the flags): a file transfer's peak RSS carried those 32 MB on top of the engine. A
 * young collection of a generation of dead Buffers takes about a millisecond. 2 MiB gave the
 * same peak as 4 MiB with twice the collections; 8 MiB about 5 MB more (`bench transfer`).
 */
export const YOUNG_GARBAGE_BUDGET = 4 * 1024 * 1024;

type Collect = (options: { type: 'minor'; execution: 'sync' }) => void;
let collect: Collect | null | undefined;
let pending = 0;

/**
 * V8's `gc` function, for this thread only: exposed in a context of its own (so no global `gc`
 * appears), the flag set back at once; the global one when Node was started with `--expose-gc`.
 * `null` where the runtime does not allow it.
 */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  // Started with --expose-gc: the flag stays as it was.
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return (collect = global as Collect);
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('typeof gc === "function" ? gc : null') as Collect | null;
  } catch {
    collect = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/**
 * Tells that `bytes` of Buffers were allocated and dropped (a chunk passed on, and the copies a
 * protocol library made of it). Once they add up to `YOUNG_GARBAGE_BUDGET`, the young generation
 * is collected, so a transfer's dead Buffers never pile up to V8's own 32 MB. Only the transfers
 * of message bodies call it: other work on the thread never adds a collection.
 */
export function youngGarbage(bytes: number): void {
  pending += bytes;
  if (pending < YOUNG_GARBAGE_BUDGET) return;
  pending = 0;
  collector()?.({ type: 'minor', execution: 'sync' });
}
