import { z } from 'zod';
import { defineContextNamespace, emptyContext } from '../../domain/context/index.js';
import type { ContextOf } from '../remote-file/receiver.js';

/**
 * The SFTP adapter's context properties. `ReceivedFileName` is promoted (routable, and what
 * `%SourceFileName%` uses on send); the rest describe the file.
 */
export const SFTP = defineContextNamespace('SFTP', {
  /** The name the file had on the server, without its folder. */
  ReceivedFileName: z.string().min(1),
  /** Its full path on the server when it was claimed. */
  ReceivedFilePath: z.string().min(1),
  /** Size in bytes when it was claimed. */
  Size: z.number().int().nonnegative(),
  /** Its modification time as the server listed it (ISO 8601, UTC). */
  LastWriteTime: z.iso.datetime({ offset: true }),
});

export const sftpContextOf: ContextOf = (claim, name) => {
  let context = SFTP.promote(emptyContext(), 'ReceivedFileName', name);
  context = SFTP.write(context, 'ReceivedFilePath', claim.path);
  context = SFTP.write(context, 'Size', claim.size);
  return SFTP.write(context, 'LastWriteTime', claim.mtime);
};
