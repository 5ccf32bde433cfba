import { SignalboxError } from '../errors.js';

/** A context property name that is not `Namespace.Property` (the message quotes the name). */
export class ContextPropertyNameInvalid extends SignalboxError {
  readonly code = 'CONTEXT_PROPERTY_NAME_INVALID';
  readonly retryable = false;

  constructor(
    readonly propertyName: string,
    readonly reason: string,
  ) {
    super(`context property name ${JSON.stringify(propertyName)} is invalid: ${reason}`);
  }
}

/** Promoting a property by name alone, when the context holds no value for it to promote. */
export class ContextPropertyMissing extends SignalboxError {
  readonly code = 'CONTEXT_PROPERTY_MISSING';
  readonly retryable = false;

  constructor(readonly propertyName: string) {
    super(`context property ${JSON.stringify(propertyName)} cannot be promoted: it has no value`);
  }
}
