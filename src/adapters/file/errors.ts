import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the File adapter raises. */
export const FILE_ERROR = {
  FOLDER_MISSING: 'FILE_FOLDER_MISSING',
  ACCESS_DENIED: 'FILE_ACCESS_DENIED',
  EXISTS: 'FILE_EXISTS',
  NAME_ESCAPES_FOLDER: 'FILE_NAME_ESCAPES_FOLDER',
  NAME_TOO_LONG: 'FILE_NAME_TOO_LONG',
  NAME_IS_LINK: 'FILE_NAME_IS_LINK',
  TARGET_IS_FOLDER: 'FILE_TARGET_IS_FOLDER',
  READ_FAILED: 'FILE_READ_FAILED',
  IO: 'FILE_IO_ERROR',
  ADDRESS_INVALID: 'FILE_ADDRESS_INVALID',
} as const;

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a Node file-system error into the adapter's typed error. Permissions, a read-only file
 * system and over-long names do not change by retrying; a missing folder (it may be mounted or
 * created again), a full disk and plain I/O errors may.
 */
export function fileSystemError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  const errno = errnoOf(error);
  const detail = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new TransientAdapterError(FILE_ERROR.FOLDER_MISSING, detail, { cause: error });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new PermanentAdapterError(FILE_ERROR.ACCESS_DENIED, detail, { cause: error });
    case 'ENAMETOOLONG':
      return new PermanentAdapterError(FILE_ERROR.NAME_TOO_LONG, detail, { cause: error });
    case 'ELOOP':
      return new PermanentAdapterError(FILE_ERROR.NAME_IS_LINK, detail, { cause: error });
    case 'EISDIR':
      return new PermanentAdapterError(FILE_ERROR.TARGET_IS_FOLDER, detail, { cause: error });
    case 'EEXIST':
      return new TransientAdapterError(FILE_ERROR.EXISTS, detail, { cause: error });
    default:
      return new TransientAdapterError(FILE_ERROR.IO, detail, { cause: error });
  }
}
