import { SignalboxError } from '../domain/errors.js';

/** The queue's backend could not be reached or did not answer in time. Retrying may help. */
export class WorkQueueUnavailable extends SignalboxError {
  readonly code = 'WORK_QUEUE_UNAVAILABLE';
  readonly retryable = true;
}

/** The backend refused the queue's set-up (an existing stream of another kind, a foreign file). */
export class WorkQueueMisconfigured extends SignalboxError {
  readonly code = 'WORK_QUEUE_MISCONFIGURED';
  readonly retryable = false;
}

/** The queue was closed; no more calls are accepted. */
export class WorkQueueClosed extends SignalboxError {
  readonly code = 'WORK_QUEUE_CLOSED';
  readonly retryable = false;

  constructor() {
    super('the work queue is closed');
  }
}
