import type { AdapterDefinition } from '../adapter.js';
import { parseNatsAddress } from './address.js';
import {
  natsReceiveConfigSchema,
  natsSendConfigSchema,
  type NatsReceiveConfig,
  type NatsSendConfig,
} from './config.js';
import { createReceiveHandler } from './input.js';
import { NatsSendHandler } from './output.js';

export { HEADER_PREFIX, NATS } from './context.js';
export { NATS_ERROR } from './errors.js';
export type { NatsReceiveConfig, NatsSendConfig } from './config.js';
export { natsReceiveConfigSchema, natsSendConfigSchema } from './config.js';

export const natsAdapter: AdapterDefinition<NatsReceiveConfig, NatsSendConfig> = {
  name: 'nats',
  description: 'Core NATS subjects and JetStream streams: receive (durable, acked) and send (deduplicated).',
  receive: {
    config: natsReceiveConfigSchema,
    // Competing receivers would interleave; ordered receive runs on one instance, under a lease.
    singleActive: (config) => config.ordered,
    create: (config) => createReceiveHandler(config),
  },
  send: {
    config: natsSendConfigSchema,
    create: (config) => new NatsSendHandler(config),
    address: { schemes: ['nats'], parse: parseNatsAddress },
  },
};
