import { z } from 'zod';
import { defineContextNamespace, emptyContext } from '../../domain/context/index.js';
import type { ContextOf } from '../remote-file/receiver.js';

/**
 * The FTP adapter's context properties. `ReceivedFileName` is promoted (routable, and what
 * `%SourceFileName%` uses on send); the rest describe the file.
 */
export const FTP = defineContextNamespace('FTP', {
  /** The name the file had on the server, without its folder. */
  ReceivedFileName: z.string().min(1),
  /** Its full path on the server when it was claimed. */
  ReceivedFilePath: z.string().min(1),
  /** Size in bytes when it was claimed. */
  Size: z.number().int().nonnegative(),
  /** Its modification time as the server listed it (ISO 8601, UTC). */
  LastWriteTime: z.iso.datetime({ offset: true }),
});

export const ftpContextOf: ContextOf = (claim, name) => {
  let context = FTP.promote(emptyContext(), 'ReceivedFileName', name);
  context = FTP.write(context, 'ReceivedFilePath', claim.path);
  context = FTP.write(context, 'Size', claim.size);
  return FTP.write(context, 'LastWriteTime', claim.mtime);
};
