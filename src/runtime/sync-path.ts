import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Flushes a file, or a folder's entries (after a rename in it), to disk. */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
