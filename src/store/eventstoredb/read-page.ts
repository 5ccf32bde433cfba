import { StreamNotFoundError, type StreamingRead } from '@eventstore/db-client';
import { ReadCutOff } from './translate-errors.js';

/**
 * Reads a bounded read (one page) to its end. When `signal` aborts (deadline passed, store
 * closed) the gRPC call is cancelled so nothing is left running. A missing stream reads as empty.
 */
export function readPage<E>(read: StreamingRead<E>, signal: AbortSignal): Promise<E[]> {
  return new Promise<E[]>((resolve, reject) => {
    const items: E[] = [];
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = () =>
      finish(() => {
        // cancel() waits for the call to exist; against a silent server that may be never.
        read.cancel().catch(() => undefined);
        read.destroy();
        const reason: unknown = signal.reason;
        reject(reason instanceof Error ? reason : new Error('the read was abandoned'));
      });
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    read.on('data', (item: E) => items.push(item));
    read.once('end', () => finish(() => resolve(items)));
    // `on`, not `once`: the client can report a late failure after the first, and an unheard
    // 'error' event would crash the process.
    read.on('error', (error: Error) =>
      finish(() => (error instanceof StreamNotFoundError ? resolve([]) : reject(error))),
    );
    // Disposing the client cancels the call, and the client swallows its own cancellation: the
    // read closes without ending or failing.
    read.once('close', () => finish(() => reject(new ReadCutOff())));
  });
}
