import { posix } from 'node:path';
import type { z } from 'zod';
import { PermanentAdapterError } from '../errors.js';
import { REMOTE_ERROR } from './errors.js';

/**
 * `ftp://user@host:2121/out/%MessageID%.xml`: the server, folder and file name template of a
 * dynamic send. The path is taken literally (macros are written with `%`), and a password in the
 * address is refused: credentials are secret references, never text in an address.
 */
export function parseRemoteAddress<T>(
  address: string,
  schema: z.ZodType<T>,
  extra: (scheme: string) => Record<string, unknown>,
): T {
  const match = /^([a-z]+):\/\/(?:([^@/:]+)@)?([^/:@]+|\[[0-9a-f:]+\])(?::(\d+))?(\/[\s\S]*)$/i.exec(address);
  const fail = (why: string) =>
    new PermanentAdapterError(REMOTE_ERROR.ADDRESS_INVALID, `${JSON.stringify(address)}: ${why}`);
  if (/^[a-z]+:\/\/[^@/]*:[^@/]*@/i.test(address))
    throw fail('a password does not go in an address; use a send port with a secret');
  if (!match) throw fail('not an address such as ftp://user@host:21/out/%MessageID%.xml');
  const [, scheme, user, host, port, path] = match;
  if (path!.endsWith('/')) throw fail('the address must end in a file name');
  // A leading `//` keeps the path absolute on the server; one `/` makes it relative to the login folder.
  const folder = path!.startsWith('//') ? posix.dirname(path!.slice(1)) : posix.dirname(path!).slice(1) || '.';
  const parsed = schema.safeParse({
    host: host!.replace(/^\[|\]$/g, ''),
    ...(port === undefined ? {} : { port: Number(port) }),
    ...(user === undefined ? {} : { username: decodeURIComponent(user) }),
    folder,
    fileName: posix.basename(path!),
    ...extra(scheme!.toLowerCase()),
  });
  if (!parsed.success) {
    throw fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
