import { SignalboxError } from '../../domain/errors.js';

/** No blob with this sha256 is stored (never written, or removed by retention). */
export class BlobNotFound extends SignalboxError {
  readonly code = 'BLOB_NOT_FOUND';
  readonly retryable = false;

  constructor(readonly sha256: string) {
    super(`blob ${sha256} is not in the blob store`);
  }
}

/**
 * The stored bytes no longer hash to the blob's name. Raised at the end of a read, after the
 * bytes were delivered, so a reader must not act on a body until its stream ended cleanly.
 */
export class BlobCorrupt extends SignalboxError {
  readonly code = 'BLOB_CORRUPT';
  readonly retryable = false;

  constructor(
    readonly sha256: string,
    readonly actualSha256: string,
    /** Bytes actually read. */
    readonly actualSize: number,
  ) {
    super(`blob ${sha256} is corrupt: its ${actualSize} bytes hash to ${actualSha256}`);
  }
}

/** A body exceeded the size limit the caller set (on write, or when reading into memory). */
export class BlobTooLarge extends SignalboxError {
  readonly code = 'BLOB_TOO_LARGE';
  readonly retryable = false;

  constructor(
    readonly limit: number,
    /** The blob's sha256 when it is known (reads), absent while writing. */
    readonly sha256?: string,
  ) {
    super(`${sha256 === undefined ? 'blob body' : `blob ${sha256}`} is larger than the limit of ${limit} bytes`);
  }
}

/** The value is not a lowercase hex sha256, so it cannot name a blob (and cannot become a path). */
export class BlobIdInvalid extends SignalboxError {
  readonly code = 'BLOB_ID_INVALID';
  readonly retryable = false;

  constructor(readonly value: string) {
    super(`${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)} is not a sha256 blob id`);
  }
}

/** Conditions of the disk (or other backing) that can clear up by themselves. */
const TRANSIENT_IO_CODES: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'ETIMEDOUT',
  'EINTR',
]);

/**
 * The blob store's own storage failed (disk full, too many open files, permission, I/O error).
 * Failures of the caller's source stream are not wrapped: they reach the caller unchanged.
 */
export class BlobStoreIoError extends SignalboxError {
  readonly code = 'BLOB_STORE_IO';
  readonly retryable: boolean;
  /** The system error code (`ENOSPC`, `EACCES`, …) when there is one. */
  readonly errno: string | undefined;

  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    const errno = systemErrorCode(cause);
    super(`blob store ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.errno = errno;
    this.retryable = errno !== undefined && TRANSIENT_IO_CODES.has(errno);
  }
}

export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
