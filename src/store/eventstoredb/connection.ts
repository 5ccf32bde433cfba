import { EventStoreDBClient } from '@eventstore/db-client';
import { StoreClosed, StoreUnavailable } from '../errors.js';
import { withDeadline, type CallContext } from './deadline.js';
import { InvalidStoreOptions, type ResolvedOptions } from './options.js';
import { translateError } from './translate-errors.js';

/** One client and everything that depends on it; replaced whole when it stops answering. */
interface Generation {
  readonly client: EventStoreDBClient;
  /** Aborts when this client is reset or the store closes: calls still on it settle at once. */
  readonly reset: AbortController;
  /** Whether a call ran on it, i.e. whether it may hold a gRPC channel. */
  used: boolean;
}

/** A long-lived call (a subscription) on the current client. */
export interface Lease {
  readonly client: EventStoreDBClient;
  readonly context: CallContext;
  /** Aborts when the client is reset or the store closes; the reason is the error to raise. */
  readonly reset: AbortSignal;
  /** Report that the server did not answer in time: the client is replaced. */
  readonly timedOut: (error: StoreUnavailable) => void;
}

/** `getChannel` is protected in the client's typings; it is the only way to reach the channel. */
interface ChannelOwner {
  getChannel(): Promise<{ close(): void }>;
}

/**
 * Owns the EventStoreDB client. Every call runs under our deadline; when one passes, the client is
 * retired (its calls fail at once, its channel closes) and the next call gets a fresh one. Without
 * that, once a connection has been accepted and gone silent, every later call queues on the same
 * gRPC channel and waits for minutes, however many deadlines pass.
 */
export class Connection {
  private current: Generation | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly shuttingDown = new Set<Promise<void>>();
  private closed = false;

  /**
   * Builds the first client at once, without contacting the server, so that a connection string
   * the client cannot parse fails when the store is opened rather than at its first call.
   */
  constructor(private readonly options: ResolvedOptions) {
    this.current = this.newGeneration();
  }

  context(operation: string): CallContext {
    return { operation, endpoint: this.options.endpoint, deadlineMs: this.options.deadlineMs };
  }

  /** Runs one bounded call; what it throws comes out as Signalbox errors. */
  call<T>(operation: string, work: (client: EventStoreDBClient, signal: AbortSignal) => Promise<T>): Promise<T> {
    const context = this.context(operation);
    if (this.closed) return Promise.reject(new StoreClosed());
    const generation = this.generation();
    const running = withDeadline(context, (signal) => work(generation.client, signal), {
      cancel: generation.reset.signal,
      onTimeout: (error) => this.retire(generation, error),
    }).catch((error: unknown) => {
      throw translateError(error, context);
    });
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** The current client for a call that outlives any deadline; the caller bounds what it can. */
  lease(operation: string): Lease {
    const generation = this.generation();
    const context = this.context(operation);
    return {
      client: generation.client,
      context,
      reset: generation.reset.signal,
      timedOut: (error) => this.retire(generation, error),
    };
  }

  /**
   * Lets calls already running finish (each within its deadline), ends subscriptions with
   * `StoreClosed`, and releases the connection so the process can exit.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const generation = this.current;
    this.current = undefined;
    if (generation) this.shutdown(generation, new StoreClosed());
    await Promise.allSettled([...this.shuttingDown]);
  }

  private generation(): Generation {
    if (this.closed) throw new StoreClosed();
    this.current ??= this.newGeneration();
    this.current.used = true;
    return this.current;
  }

  private newGeneration(): Generation {
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(this.options.clientConnectionString);
    } catch (error) {
      // The client's parse errors quote the whole string, credentials included: keep only what
      // it expected. Its other errors (a certificate file not found) quote nothing secret.
      const { connectionString, expected } = error as { connectionString?: unknown; expected?: unknown };
      const detail =
        connectionString === undefined
          ? (error as Error).message
          : typeof expected === 'string'
            ? `expected ${expected}`
            : '';
      throw new InvalidStoreOptions(
        `EventStoreDB connection string for ${this.options.endpoint} is invalid${detail ? `: ${detail}` : ''}`,
      );
    }
    return { client, reset: new AbortController(), used: false };
  }

  private retire(generation: Generation, cause: StoreUnavailable): void {
    if (this.current !== generation) return;
    this.current = undefined;
    this.shutdown(
      generation,
      new StoreUnavailable(`the connection to EventStoreDB at ${this.options.endpoint} was reset: ${cause.message}`, {
        cause,
      }),
    );
  }

  /** Ends everything on a client: its calls settle with `reason`, its streams and channel close. */
  private shutdown(generation: Generation, reason: Error): void {
    generation.reset.abort(reason);
    const { client } = generation;
    const release = async () => {
      // dispose() cancels the client's streams but leaves its gRPC channel open; a channel still
      // connecting to a silent server holds a socket that keeps the process alive.
      await client.dispose().catch(() => undefined);
      // Once a call ran, getChannel() returns the channel it opened. (If the client already dropped
      // a failed channel, this makes one that has not connected, and closes it.) Before any call,
      // asking would open one for nothing, and with DNS discovery, contact the cluster.
      if (!generation.used) return;
      const channel = await (client as unknown as ChannelOwner).getChannel();
      channel.close();
    };
    const bounded = withDeadline(this.context('closing the connection'), () => release()).catch(() => undefined);
    this.shuttingDown.add(bounded);
    void bounded.then(() => this.shuttingDown.delete(bounded));
  }
}
