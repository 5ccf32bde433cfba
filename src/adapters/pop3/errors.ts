import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the POP3 adapter raises. */
export const POP3_ERROR = {
  CONNECT_FAILED: 'POP3_CONNECT_FAILED',
  CONNECTION_LOST: 'POP3_CONNECTION_LOST',
  TIMEOUT: 'POP3_TIMEOUT',
  AUTH_FAILED: 'POP3_AUTH_FAILED',
  MAILBOX_IN_USE: 'POP3_MAILBOX_IN_USE',
  SERVER_ERROR: 'POP3_SERVER_ERROR',
  /** The server answered `-ERR` to a command (a mail another session expunged, say). */
  REFUSED: 'POP3_REFUSED',
} as const;

/**
 * Turns what node-pop3 throws into the adapter's errors. A refused login stays refused until an
 * operator acts; a mailbox locked by another session (`[IN-USE]`), a temporary server problem
 * (`[SYS/TEMP]`), a dropped connection and a timeout pass with time.
 */
export function pop3Error(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const message = `${what}: ${text}`;
  const options = { cause: error };
  const command = (error as { command?: unknown } | null)?.command;
  const errno = (error as { code?: unknown } | null)?.code;
  if (/\[IN-USE\]/i.test(text)) return new TransientAdapterError(POP3_ERROR.MAILBOX_IN_USE, message, options);
  if (/\[SYS\/TEMP\]/i.test(text)) return new TransientAdapterError(POP3_ERROR.SERVER_ERROR, message, options);
  if (command === 'PASS ***' || /\[AUTH\]/i.test(text)) {
    return new PermanentAdapterError(POP3_ERROR.AUTH_FAILED, message, options);
  }
  if (typeof errno === 'string' && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(errno)) {
    return new TransientAdapterError(POP3_ERROR.CONNECT_FAILED, message, options);
  }
  return new TransientAdapterError(POP3_ERROR.CONNECTION_LOST, message, options);
}
