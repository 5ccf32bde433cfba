import { SignalboxError } from '../../domain/errors.js';

/** A secret is sealed under a master key this process does not have: the wrong key was given. */
export class MasterKeyMismatch extends SignalboxError {
  readonly code = 'MASTER_KEY_MISMATCH';
  readonly retryable = false;
}

/** No master key could be found or read, or the one given is malformed. */
export class MasterKeyUnavailable extends SignalboxError {
  readonly code = 'MASTER_KEY_UNAVAILABLE';
  readonly retryable = false;
}

export class SecretNotFound extends SignalboxError {
  readonly code = 'SECRET_NOT_FOUND';
  readonly retryable = false;
}

/** A sealed value failed its authentication: edited, moved to another name or version, or corrupt. */
export class SecretCorrupt extends SignalboxError {
  readonly code = 'SECRET_CORRUPT';
  readonly retryable = false;
}
