import { z } from 'zod';
import { defineContextNamespace } from '../../domain/context/index.js';

/**
 * The File adapter's context properties. `ReceivedFileName` is promoted (routable, and what
 * `%SourceFileName%` uses on send); the rest are written: they describe the file, they do not route it.
 */
export const FILE = defineContextNamespace('FILE', {
  /** The name the file had in the folder, without its path (`order 17.xml`). */
  ReceivedFileName: z.string().min(1),
  /** The full path it had when it was taken (`/data/in/order 17.xml`). */
  ReceivedFilePath: z.string().min(1),
  /** Size in bytes when it was taken. */
  Size: z.number().int().nonnegative(),
  /** Its modification time (ISO 8601, UTC). */
  LastWriteTime: z.iso.datetime({ offset: true }),
});
