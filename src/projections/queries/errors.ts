import { SignalboxError } from '../../domain/errors.js';

/** A query the views cannot answer as asked: a bad limit, a cursor from another query, … */
export class InvalidQuery extends SignalboxError {
  readonly code = 'INVALID_QUERY';
  readonly retryable = false;
}
