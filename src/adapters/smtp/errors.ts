import { PermanentAdapterError, TransientAdapterError } from '../errors.js';

/** The stable codes the SMTP adapter raises. */
export const SMTP_ERROR = {
  CONNECT_FAILED: 'SMTP_CONNECT_FAILED',
  TIMEOUT: 'SMTP_TIMEOUT',
  AUTH_FAILED: 'SMTP_AUTH_FAILED',
  REJECTED: 'SMTP_REJECTED',
  DEFERRED: 'SMTP_DEFERRED',
  NO_RECIPIENT: 'SMTP_NO_RECIPIENT',
  NO_SENDER: 'SMTP_NO_SENDER',
  HEADER_INVALID: 'SMTP_HEADER_INVALID',
  BODY_TOO_LARGE: 'SMTP_BODY_TOO_LARGE',
  ADDRESS_INVALID: 'SMTP_ADDRESS_INVALID',
  FAILED: 'SMTP_FAILED',
} as const;

/**
 * Maps nodemailer's errors. The SMTP reply code decides where there is one: 5xx is a refusal that
 * a retry will not change (unknown recipient, message refused), 4xx a deferral that may pass.
 * Refused credentials are permanent; a connection that fails or times out is transient.
 */
export function smtpError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const message = `${what}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  const options = { cause: error };
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH')
    return new PermanentAdapterError(SMTP_ERROR.AUTH_FAILED, message, options);
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500) return new PermanentAdapterError(SMTP_ERROR.REJECTED, message, options);
    if (e.responseCode >= 400) return new TransientAdapterError(SMTP_ERROR.DEFERRED, message, options);
  }
  if (e.code === 'ETIMEDOUT') return new TransientAdapterError(SMTP_ERROR.TIMEOUT, message, options);
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS' || e.code === 'ETLS') {
    return new TransientAdapterError(SMTP_ERROR.CONNECT_FAILED, message, options);
  }
  return new TransientAdapterError(SMTP_ERROR.FAILED, message, options);
}
