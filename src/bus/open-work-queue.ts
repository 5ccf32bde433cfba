import { dirname, join } from 'node:path';
import type { LocalWorkQueueOptions } from './local/index.js';
import type { NatsWorkQueueOptions } from './nats/index.js';
import type { WorkQueue } from './work-queue.js';

export interface OpenWorkQueueOptions {
  /** Both implementations' ack wait, in ms. Default 30,000. */
  readonly ackWaitMs?: number;
  readonly local?: Omit<LocalWorkQueueOptions, 'ackWaitMs'>;
  readonly nats?: Omit<NatsWorkQueueOptions, 'servers' | 'ackWaitMs'>;
}

/** The embedded queue's file for an embedded store: `work.db` in the store file's folder. */
export function workQueueFileNextTo(storeFile: string): string {
  return join(dirname(storeFile), 'work.db');
}

/**
 * Opens the queue a location names: `nats://host:port` (several joined by commas) for NATS
 * JetStream, `local:FILE` or a plain file path for the embedded queue. NATS is loaded only when
 * asked for, so the embedded default never loads the client.
 */
export async function openWorkQueue(location: string, options: OpenWorkQueueOptions = {}): Promise<WorkQueue> {
  if (/^(nats|tls):\/\//.test(location)) {
    const { NatsWorkQueue } = await import('./nats/index.js');
    return NatsWorkQueue.connect({ ...options.nats, ackWaitMs: options.ackWaitMs, servers: location.split(',') });
  }
  const { LocalWorkQueue } = await import('./local/index.js');
  const file = location.startsWith('local:') ? location.slice('local:'.length) : location;
  return new LocalWorkQueue(file, { ...options.local, ackWaitMs: options.ackWaitMs });
}
