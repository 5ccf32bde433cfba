import { posix } from 'node:path';
import { PermanentAdapterError } from '../errors.js';
import { fileSendConfigSchema, type FileSendConfig } from './config.js';
import { FILE_ERROR } from './errors.js';

/**
 * `file:///out/orders/%MessageID%.xml` (or `file://localhost/…`): the folder and the file name
 * template of a dynamic send. The path is taken literally, without percent-decoding, because the
 * macros themselves are written with `%` (`%da` in `%datetime%` would decode to a byte).
 */
export function parseFileAddress(address: string): FileSendConfig {
  const match = /^file:\/\/(?:localhost)?(\/[\s\S]*)$/i.exec(address);
  const path = match?.[1];
  if (path === undefined || path.endsWith('/')) {
    throw new PermanentAdapterError(
      FILE_ERROR.ADDRESS_INVALID,
      `${JSON.stringify(address)} is not a file address such as file:///out/%MessageID%.xml`,
    );
  }
  const parsed = fileSendConfigSchema.safeParse({ folder: posix.dirname(path), fileName: posix.basename(path) });
  if (!parsed.success) {
    throw new PermanentAdapterError(
      FILE_ERROR.ADDRESS_INVALID,
      `${JSON.stringify(address)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
