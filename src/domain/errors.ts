/**
 * Every error Signalbox raises carries a stable `code` (for the API and for scripts) and says
 * whether retrying the same call can succeed. The API maps codes to HTTP status in one place.
 */
export abstract class SignalboxError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value failed its schema; `path` names the bad field (`data.messageId`, `ttlMs`, …). */
export class SchemaViolation extends SignalboxError {
  readonly code = 'SCHEMA_VIOLATION';
  readonly retryable = false;

  constructor(
    readonly subject: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`${subject} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}
