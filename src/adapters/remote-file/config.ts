import { posix } from 'node:path';
import { z } from 'zod';

/**
 * A folder on the server: absolute (`/in`), or relative to the folder a session starts in
 * (`in`, as an SFTP server without a chroot needs). Never with `..`, CR, LF or NUL.
 */
export const remoteFolder = z
  .string()
  .min(1)
  .refine((p) => !/[\0\r\n]/.test(p), 'must not contain NUL, CR or LF')
  .refine((p) => !p.split('/').includes('..'), 'must not contain a ".." segment');

const fileNameTemplate = z
  .string()
  .min(1)
  .refine(
    (n) => !/[/\\\0\r\n]/.test(n),
    'must be a file name, without "/", "\\", CR, LF or NUL (the folder goes in "folder")',
  )
  .refine((n) => n !== '.' && n !== '..', 'must not be "." or ".."');

/** Receive settings every remote-file adapter shares (the connection settings are each adapter's own). */
export const remoteReceiveShape = {
  folder: remoteFolder.describe('The folder to take files from.'),
  mask: z
    .string()
    .min(1)
    .refine((m) => !/[/\\\0]/.test(m), 'a mask matches file names, not paths')
    .default('*')
    .describe('Which file names to take: `*` and `?` wildcards and `[abc]` sets; `*` skips hidden files.'),
  pollIntervalMs: z
    .number()
    .int()
    .min(50)
    .default(5_000)
    .describe(
      'How often the folder is listed, in ms. Without `readySuffix` a file is taken once its size and modification time are the same at two listings in a row; servers give the time in whole seconds, so keep this at 1000 or more for writers that pause.',
    ),
  readySuffix: z
    .string()
    .min(1)
    .refine((s) => !/[/\\\0\r\n]/.test(s), 'a suffix of a file name')
    .optional()
    .describe(
      'When set, only files whose name ends in this suffix (`.ready`) are taken, at once: the writer renames a file to it when done.',
    ),
  afterReceive: z
    .enum(['delete', 'move'])
    .default('delete')
    .describe('What happens to a file once its message is stored: deleted, or moved to `archiveFolder`.'),
  archiveFolder: remoteFolder
    .optional()
    .describe('Where `afterReceive: move` puts received files (created if missing); a name taken there gets a suffix.'),
  maxFilesPerPoll: z.number().int().min(1).default(100).describe('Most files taken in one round.'),
  contentType: z
    .string()
    .min(1)
    .optional()
    .describe('The content type of every message; default: guessed from the extension (.xml, .json, .csv, .txt).'),
};

type ReceiveShape = z.output<z.ZodObject<typeof remoteReceiveShape>>;

/** Cross-field checks of the shared receive settings, for the adapters' `superRefine`. */
export function checkReceive(c: ReceiveShape, ctx: z.RefinementCtx): void {
  if (c.afterReceive === 'move' && c.archiveFolder === undefined) {
    ctx.addIssue({ code: 'custom', path: ['archiveFolder'], message: 'afterReceive "move" needs an archiveFolder' });
  }
  if (c.archiveFolder !== undefined && posix.resolve('/', c.archiveFolder) === posix.resolve('/', c.folder)) {
    ctx.addIssue({ code: 'custom', path: ['archiveFolder'], message: 'must differ from folder' });
  }
}

export const remoteSendShape = {
  folder: remoteFolder.describe('The folder files are written to.'),
  fileName: fileNameTemplate
    .default('%MessageID%.xml')
    .describe('The file name, with the File adapter macros (`%MessageID%`, `%SourceFileName%`, `%datetime%`, …).'),
  createFolder: z.boolean().default(false).describe('Create `folder` (and its parents) when it is missing.'),
  ifExists: z
    .enum(['overwrite', 'append', 'fail'])
    .default('fail')
    .describe(
      'When a file of that name exists: replace it (written under a temporary name, then renamed), append to it (streamed straight onto the file), or fail the send (retried per the port).',
    ),
  maxConnections: z.number().int().min(1).max(64).default(4).describe('Most connections the send port keeps open.'),
};

export interface RemoteReceiveOptions {
  readonly folder: string;
  readonly mask: string;
  readonly pollIntervalMs: number;
  readonly readySuffix?: string | undefined;
  readonly afterReceive: 'delete' | 'move';
  readonly archiveFolder?: string | undefined;
  readonly maxFilesPerPoll: number;
  readonly contentType?: string | undefined;
}

export interface RemoteSendOptions {
  readonly folder: string;
  readonly fileName: string;
  readonly createFolder: boolean;
  readonly ifExists: 'overwrite' | 'append' | 'fail';
  readonly maxConnections: number;
}
