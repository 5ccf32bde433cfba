import type { ProjectionRunner } from '../projections/runner.js';
import { abortableSleep } from './abortable-sleep.js';
import type { Logger } from './logger.js';

export interface DispatchViewOptions {
  /**
   * While holding the lease, how often the view takes in what the store has new, in ms: work for
   * a send that could not start at receipt waits at most this long before it is published. Taken
   * in pages rather than event by event, because each look at the store costs about as much as
   * the events it reads. Default 20 ms.
   */
  readonly followEveryMs?: number;
  /** Called after each look that brought the view forward (the dispatcher's wake-up). */
  readonly onChange?: () => void;
  readonly logger: Logger;
}

/**
 * The open-sends view, kept fresh by the instance that holds the dispatcher lease, and by nobody
 * else: only the dispatcher reads it, and following every event of every message cost each
 * instance a good part of its work. On taking the lease the holder first brings the view up to
 * date, so that it publishes nothing for sends that ended while it was not looking, then keeps it
 * up to date every `followEveryMs` while the dispatcher runs. The view's checkpoint is in its own
 * file, so a holder that loses the lease and takes it again later goes on from where it stopped.
 */
export class DispatchView {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly options: DispatchViewOptions,
  ) {}

  /**
   * Runs `work` (the dispatcher) with the view caught up and following, until `signal` aborts or
   * either of them ends; a failure of either ends both and is thrown once both have stopped.
   */
  async whileHolding(signal: AbortSignal, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const started = performance.now();
    const position = await this.runner.catchUp();
    this.options.logger.info(
      { view: 'open-sends', position: String(position), ms: Math.round(performance.now() - started) },
      'dispatcher view caught up',
    );
    const both = new AbortController();
    const stopBoth = () => both.abort();
    signal.addEventListener('abort', stopBoth, { once: true });
    // The lease may have been lost (or the engine stopped) during the catch-up: an abort that
    // already happened fires no event.
    if (signal.aborted) stopBoth();
    try {
      const results = await Promise.allSettled([
        this.follow(both.signal).finally(stopBoth),
        work(both.signal).finally(stopBoth),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      signal.removeEventListener('abort', stopBoth);
    }
  }

  /** Brings the view up to date every `followEveryMs` until `signal` aborts; throws on a store failure. */
  private async follow(signal: AbortSignal): Promise<void> {
    const every = this.options.followEveryMs ?? 20;
    let position = this.runner.checkpoint;
    while (!signal.aborted) {
      await abortableSleep(every, signal);
      if (signal.aborted) return;
      const reached = await this.runner.catchUp();
      if (reached !== position) this.options.onChange?.();
      position = reached;
    }
  }
}
