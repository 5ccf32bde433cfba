import type { ReceiveHandler } from '../adapter.js';
import type { NatsReceiveConfig } from './config.js';
import { CoreReceiveHandler } from './input-core.js';
import { JetStreamReceiveHandler } from './input-jetstream.js';

export function createReceiveHandler(config: NatsReceiveConfig): ReceiveHandler {
  return config.mode === 'jetstream' ? new JetStreamReceiveHandler(config) : new CoreReceiveHandler(config);
}
