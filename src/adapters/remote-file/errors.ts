import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the FTP and SFTP adapters raise (the shared part). */
export const REMOTE_ERROR = {
  CONNECT_FAILED: 'REMOTE_CONNECT_FAILED',
  AUTH_FAILED: 'REMOTE_AUTH_FAILED',
  HOST_KEY_MISMATCH: 'REMOTE_HOST_KEY_MISMATCH',
  IO: 'REMOTE_IO_ERROR',
  NOT_FOUND: 'REMOTE_NOT_FOUND',
  EXISTS: 'REMOTE_FILE_EXISTS',
  NAME_INVALID: 'REMOTE_NAME_INVALID',
  SIZE_CHANGED: 'REMOTE_SIZE_CHANGED',
  ADDRESS_INVALID: 'REMOTE_ADDRESS_INVALID',
} as const;

export function isTyped(error: unknown): error is TransientAdapterError | PermanentAdapterError {
  return error instanceof TransientAdapterError || error instanceof PermanentAdapterError;
}

/** Whatever failed, as the adapter's typed error; untyped errors are taken to be transient I/O. */
export function asAdapterError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (isTyped(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new TransientAdapterError(REMOTE_ERROR.IO, `${what}: ${detail}`, { cause: error });
}

export type RemoteError = TransientAdapterError | PermanentAdapterError;

/**
 * A remote operation's failure as the adapter's typed error: typed errors pass as they are, the
 * others are told apart by the protocol's `classify`, with a message naming the server (`label`)
 * and the operation.
 */
export function remoteError(
  error: unknown,
  label: string,
  what: string,
  classify: (error: unknown, detail: string) => RemoteError,
): RemoteError {
  if (isTyped(error)) return error;
  return classify(error, `${label}: ${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Runs one remote operation; what it throws comes out through `translate`. */
export async function remoteCall<T>(
  what: string,
  work: () => Promise<T>,
  translate: (error: unknown, what: string) => RemoteError,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error, what);
  }
}
