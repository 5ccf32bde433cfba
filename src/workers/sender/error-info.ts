import { SignalboxError } from '../../domain/errors.js';

/** How a send failure is recorded: a stable code, the message, and whether a retry may help. */
export function errorInfo(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof SignalboxError) return { code: error.code, message: error.message, retryable: error.retryable };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' && code.length > 0 ? code : 'SEND_FAILED',
    message: error instanceof Error ? error.message : String(error),
    // An error we know nothing about might pass: let the port's retries decide.
    retryable: true,
  };
}
