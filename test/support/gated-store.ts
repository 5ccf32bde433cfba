import type { NewEvent } from '../../src/domain/events/index.js';
import type { AppendResult, EventStore, ExpectedRevision } from '../../src/store/event-store.js';
import { StoreUnavailable } from '../../src/store/errors.js';

type Fault =
  /** The append waits, unwritten, until `open()`; then it is written. */
  | 'hold'
  /** The append is written at once, but its acknowledgement waits until `open()`. */
  | 'hold-ack'
  /** The append is written, then fails as if the connection broke before the answer came. */
  | 'fail-after-write'
  /** The append fails without being written. */
  | 'fail';

/**
 * Wraps a store to inject faults into appends to one stream: slow commits, slow or lost
 * acknowledgements. Every other call goes straight through.
 */
export class GatedStore implements EventStore {
  private faults: Fault[] = [];
  private persistent: Fault | undefined;
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  readonly appendsSeen: { stream: string; expected: ExpectedRevision }[] = [];

  constructor(
    private readonly inner: EventStore,
    private readonly stream: string,
  ) {}

  /** Applies `fault` to the next append to the stream, or to every one with `{ every: true }`. */
  inject(fault: Fault, options: { every?: boolean } = {}): void {
    if (options.every) this.persistent = fault;
    else this.faults.push(fault);
  }

  /** Lets held appends and acknowledgements through, and stops injecting `every` faults. */
  open(): void {
    this.persistent = undefined;
    this.gate?.open();
    this.gate = undefined;
  }

  private closedGate(): Promise<void> {
    if (!this.gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.gate = { promise, open };
    }
    return this.gate.promise;
  }

  async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (stream !== this.stream) return this.inner.append(stream, events, expected);
    this.appendsSeen.push({ stream, expected });
    const fault = this.faults.shift() ?? this.persistent;
    switch (fault) {
      case 'hold':
        await this.closedGate();
        return this.inner.append(stream, events, expected);
      case 'hold-ack': {
        const result = this.inner.append(stream, events, expected);
        result.catch(() => undefined);
        await this.closedGate();
        return result;
      }
      case 'fail-after-write':
        await this.inner.append(stream, events, expected);
        throw new StoreUnavailable('injected: the answer was lost');
      case 'fail':
        throw new StoreUnavailable('injected: the store did not answer');
      case undefined:
        return this.inner.append(stream, events, expected);
    }
  }

  readStream: EventStore['readStream'] = (...args) => this.inner.readStream(...args);
  streamRevision: EventStore['streamRevision'] = (...args) => this.inner.streamRevision(...args);
  readAll: EventStore['readAll'] = (...args) => this.inner.readAll(...args);
  subscribeAll: EventStore['subscribeAll'] = (...args) => this.inner.subscribeAll(...args);
  headPosition: EventStore['headPosition'] = () => this.inner.headPosition();
  setStreamMetadata: EventStore['setStreamMetadata'] = (...args) => this.inner.setStreamMetadata(...args);
  getStreamMetadata: EventStore['getStreamMetadata'] = (...args) => this.inner.getStreamMetadata(...args);
  close: EventStore['close'] = () => this.inner.close();
}
