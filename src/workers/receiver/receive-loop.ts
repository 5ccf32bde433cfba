import type { LocationLog, ReceiveHandler } from '../../adapters/adapter.js';
import type { SubmitResult, InboundMessage } from '../../adapters/adapter.js';
import { SignalboxError } from '../../domain/errors.js';
import type { Logger } from '../logger.js';
import { abortableSleep as sleep } from '../abortable-sleep.js';

export interface ReceiveLoopOptions {
  readonly location: string;
  readonly handler: ReceiveHandler;
  readonly submit: (message: InboundMessage) => Promise<SubmitResult>;
  readonly isReceived?: (sourceKey: string) => Promise<boolean>;
  readonly logger: Logger;
  /** The fenced location stream, when the location runs under its lease. */
  readonly log?: LocationLog;
  /** First back-off after a failure; doubles up to `maxBackoffMs`. Default 200 ms. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Keeps a receive handler running until `signal` aborts. A handler that throws is started again
 * after a back-off that grows while it keeps failing: a lost connection is re-made, never a dead
 * worker. A permanent error (bad credentials, a missing folder) is logged as such and retried
 * slowly, since an operator may fix the cause without restarting anything.
 */
export async function runReceiveLoop(options: ReceiveLoopOptions, signal: AbortSignal): Promise<void> {
  const first = options.backoffMs ?? 200;
  const max = options.maxBackoffMs ?? 30_000;
  let backoff = first;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      await options.handler.run({
        signal,
        submit: options.submit,
        ...(options.isReceived ? { isReceived: options.isReceived } : {}),
        ...(options.log ? { log: options.log } : {}),
      });
      if (signal.aborted) return;
      options.logger.warn({ location: options.location }, 'receive handler returned; starting it again');
    } catch (error) {
      if (signal.aborted) return;
      const permanent = error instanceof SignalboxError && !error.retryable;
      options.logger.error(
        { location: options.location, err: error, permanent, retryInMs: permanent ? max : backoff },
        'receive handler failed',
      );
      if (permanent) backoff = max;
    }
    // A handler that ran a good while before failing starts again from the shortest back-off.
    if (Date.now() - started > max) backoff = first;
    await sleep(backoff, signal);
    backoff = Math.min(max, backoff * 2);
  }
}
