import { StoreUnavailable } from '../errors.js';

/** What a message about one call needs to name. */
export interface CallContext {
  /** `append to message-42`, `readAll`, … */
  readonly operation: string;
  /** Redacted: scheme and hosts only. */
  readonly endpoint: string;
  readonly deadlineMs: number;
}

export interface DeadlineHooks {
  /** Settles the call at once with the signal's reason (the connection was reset or closed). */
  readonly cancel?: AbortSignal;
  /** Called once when the deadline passes, before the call rejects. */
  readonly onTimeout?: (error: StoreUnavailable) => void;
}

export function deadlineExceeded(context: CallContext): StoreUnavailable {
  return new StoreUnavailable(
    `EventStoreDB at ${context.endpoint} did not answer ${context.operation} within ${context.deadlineMs} ms`,
  );
}

/**
 * Runs `work` under our own timer. The client's `deadline` option is not enough: it does not cover
 * connecting, reads run with no deadline at all, and against a server that accepts TCP and never
 * answers a call waits for minutes. `work` gets a signal that aborts when the deadline passes or
 * `cancel` fires, and should stop what it started (cancel its gRPC stream); the returned promise
 * rejects at that moment whether or not `work` ever settles.
 */
export function withDeadline<T>(
  context: CallContext,
  work: (signal: AbortSignal) => Promise<T>,
  hooks: DeadlineHooks = {},
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      hooks.cancel?.removeEventListener('abort', onCancel);
      outcome();
    };
    const timer = setTimeout(() => {
      const error = deadlineExceeded(context);
      settle(() => {
        controller.abort(error);
        hooks.onTimeout?.(error);
        reject(error);
      });
    }, context.deadlineMs);
    const onCancel = () =>
      settle(() => {
        const reason: unknown = hooks.cancel?.reason;
        controller.abort(reason);
        // A reset names the call that timed out; say which call this one was.
        reject(
          reason instanceof StoreUnavailable
            ? new StoreUnavailable(`${context.operation} was cut off: ${reason.message}`, { cause: reason })
            : reason instanceof Error
              ? reason
              : new StoreUnavailable(`${context.operation} was cancelled`),
        );
      });
    if (hooks.cancel?.aborted) {
      onCancel();
      return;
    }
    hooks.cancel?.addEventListener('abort', onCancel, { once: true });
    // A synchronous throw from `work` (the client validates some arguments eagerly) becomes a rejection.
    const running = (async () => work(controller.signal))();
    running.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}
