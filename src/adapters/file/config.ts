import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const absoluteFolder = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p), 'must be an absolute path (workers may run from any folder)')
  .refine((p) => !p.includes('\0'), 'must not contain a NUL character');

/** A file name template: one path segment; macros are expanded (and made safe) at send time. */
const fileNameTemplate = z
  .string()
  .min(1)
  .refine((n) => !/[/\\\0]/.test(n), 'must be a file name, without "/", "\\" or NUL (the folder goes in "folder")')
  .refine((n) => n !== '.' && n !== '..', 'must not be "." or ".."');

export const fileReceiveConfigSchema = z
  .object({
    folder: absoluteFolder.describe('The folder to take files from.'),
    mask: z
      .string()
      .min(1)
      .refine((m) => !/[/\\\0]/.test(m), 'a mask matches file names, not paths')
      .default('*')
      .describe('Which file names to take: `*` and `?` wildcards and `[abc]` sets; `*` skips hidden files.'),
    pollIntervalMs: z.number().int().min(10).default(1_000).describe('How often the folder is listed, in ms.'),
    afterReceive: z
      .enum(['delete', 'move'])
      .default('delete')
      .describe('What happens to a file once its message is stored: deleted, or moved to `archiveFolder`.'),
    archiveFolder: absoluteFolder
      .optional()
      .describe(
        'Where `afterReceive: move` puts received files (created if missing); a name taken there gets a suffix.',
      ),
    workFileGraceMs: z
      .number()
      .int()
      .min(1_000)
      .default(300_000)
      .describe(
        'A work file (`*.sbwork`) untouched for this long is taken to be left by a crashed receiver and is received again; the source key makes that a duplicate if the first receipt was stored.',
      ),
    streamThresholdBytes: z
      .number()
      .int()
      .min(0)
      .default(1_048_576)
      .describe('Files at least this large are handed on as a stream instead of read into memory.'),
    maxFilesPerPoll: z
      .number()
      .int()
      .min(1)
      .default(1_000)
      .describe('Most files taken in one round; the next round starts at once when more are ready.'),
    contentType: z
      .string()
      .min(1)
      .optional()
      .describe('The content type of every message; default: guessed from the extension (.xml, .json, .csv, .txt).'),
  })
  .superRefine((c, ctx) => {
    if (c.afterReceive === 'move' && c.archiveFolder === undefined) {
      ctx.addIssue({ code: 'custom', path: ['archiveFolder'], message: 'afterReceive "move" needs an archiveFolder' });
    }
    if (c.archiveFolder !== undefined && resolve(c.archiveFolder) === resolve(c.folder)) {
      ctx.addIssue({ code: 'custom', path: ['archiveFolder'], message: 'must differ from folder' });
    }
  });
export type FileReceiveConfig = z.output<typeof fileReceiveConfigSchema>;

export const fileSendConfigSchema = z.object({
  folder: absoluteFolder.describe('The folder files are written to.'),
  fileName: fileNameTemplate
    .default('%MessageID%.xml')
    .describe('The file name, with macros (`%MessageID%`, `%SourceFileName%`, `%datetime%`, …).'),
  createFolder: z.boolean().default(false).describe('Create `folder` (and its parents) when it is missing.'),
  ifExists: z
    .enum(['overwrite', 'append', 'fail'])
    .default('fail')
    .describe(
      'When a file of that name exists: replace it atomically, append to it, or fail the send (retried per the port).',
    ),
});
export type FileSendConfig = z.output<typeof fileSendConfigSchema>;
