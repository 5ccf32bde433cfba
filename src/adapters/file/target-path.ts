import { Buffer } from 'node:buffer';
import { basename, dirname, resolve } from 'node:path';
import { PermanentAdapterError } from '../errors.js';
import { FILE_ERROR } from './errors.js';

/** Linux's NAME_MAX: longer names fail in the kernel, so they are refused here with a clear code. */
export const MAX_NAME_BYTES = 255;

/**
 * The full path of `name` in `folder`, once it is certain that the path is a direct child of the
 * folder. Macro values are already sanitised; this is the last check, and the one that holds
 * whatever the template or a future macro does.
 */
export function pathInFolder(folder: string, name: string): string {
  const root = resolve(folder);
  const full = resolve(root, name);
  const single = name !== '.' && name !== '..' && !name.includes('\0') && basename(full) === name;
  if (!single || dirname(full) !== root) {
    throw new PermanentAdapterError(
      FILE_ERROR.NAME_ESCAPES_FOLDER,
      `file name ${JSON.stringify(name)} would not be a file directly in ${root}`,
    );
  }
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new PermanentAdapterError(
      FILE_ERROR.NAME_TOO_LONG,
      `file name ${JSON.stringify(name.slice(0, 40))}… is longer than ${MAX_NAME_BYTES} bytes`,
    );
  }
  return full;
}
