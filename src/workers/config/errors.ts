import { SignalboxError } from '../../domain/errors.js';

/** Another writer changed a configuration item while an import was applying its changes. */
export class ConfigConflict extends SignalboxError {
  readonly code = 'CONFIG_CONFLICT';
  readonly retryable = true;
}
