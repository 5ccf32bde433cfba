import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { PermanentAdapterError } from '../errors.js';
import { pathInFolder } from '../file/target-path.js';
import { REMOTE_ERROR } from './errors.js';

/** Work and temporary names start with a dot (a `*` mask skips them) and end in these suffixes. */
export const WORK_SUFFIX = '.sbwork';
export const TEMP_SUFFIX = '.sbtmp';

/**
 * `folder/name`, once it is certain that `name` is one plain segment: no `/`, no NUL, not `.` or
 * `..`, and no CR or LF (which would end an FTP command and start another). The File adapter's
 * `pathInFolder` makes the final check, against the folder taken as absolute.
 */
export function remotePath(folder: string, name: string): string {
  if (/[\r\n]/.test(name)) {
    throw new PermanentAdapterError(REMOTE_ERROR.NAME_INVALID, `file name ${JSON.stringify(name)} holds a line break`);
  }
  const absolute = posix.resolve('/', folder);
  pathInFolder(absolute, name);
  return folder === '' || folder === '.' ? name : posix.join(folder, name);
}

/** Whether a listed name is one this adapter may take at all (not its own work or temporary files). */
export function isOwnName(name: string): boolean {
  return name.endsWith(WORK_SUFFIX) || name.endsWith(TEMP_SUFFIX);
}

/**
 * The name a claimed file is renamed to while it is received: derived from the claim's message
 * id, so a new lease holder finds it again from the claim alone.
 */
export function workPath(path: string, messageId: string): string {
  return posix.join(posix.dirname(path), `.sb-${messageId.slice(0, 24)}${WORK_SUFFIX}`);
}

export function tempPath(folder: string): string {
  return remotePath(folder, `.sb-${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
}
