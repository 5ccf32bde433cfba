import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import { MqiError } from './client.js';
import { reasonInfo } from './reason-codes.js';

/** The stable codes the MQ adapter raises besides `MQ_<reason name>` for MQI failures. */
export const MQ_ERROR = {
  CLIENT_MISSING: 'MQ_CLIENT_MISSING',
  CONNECTION_BROKEN: 'MQ_CONNECTION_BROKEN',
  ADDRESS_INVALID: 'MQ_ADDRESS_INVALID',
  HEADER_INVALID: 'MQ_HEADER_INVALID',
  PROPERTY_INVALID: 'MQ_PROPERTY_INVALID',
  NO_REPLY: 'MQ_NO_REPLY',
  TOO_LARGE: 'MQ_MESSAGE_TOO_LARGE',
} as const;

/** The one error an absent MQ C client gives (the `ibmmq` package cannot load without it). */
export const MQ_CLIENT_MISSING_MESSAGE =
  'IBM MQ C client not found: install the MQ redistributable client and set MQ_INSTALLATION_PATH / LD_LIBRARY_PATH';

/** Whether an MQI failure means the connection is gone and must be made again. */
export function isConnectionFailure(error: unknown): boolean {
  return error instanceof MqiError && reasonInfo(error.reason).connection;
}

/**
 * An MQI failure as the adapter's typed error: the reason code's table entry says whether it is
 * retryable (a lost connection, a full queue) or permanent (an unknown queue, refused
 * authority). The code is `MQ_` + IBM's name without `MQRC_`; the message names the call, the
 * reason and `what`, never a credential.
 */
export function mqError(error: unknown, what: string): TransientAdapterError | PermanentAdapterError {
  if (error instanceof TransientAdapterError || error instanceof PermanentAdapterError) return error;
  if (error instanceof MqiError) {
    const info = reasonInfo(error.reason);
    const code = `MQ_${info.name.replace(/^MQRC_/, '')}`;
    const message = `${what}: ${error.message}`;
    return info.retryable
      ? new TransientAdapterError(code, message, { cause: error })
      : new PermanentAdapterError(code, message, { cause: error });
  }
  return new TransientAdapterError(
    'MQ_UNEXPECTED',
    `${what}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}
