import type { AdapterDefinition } from '../adapter.js';
import { parseMqAddress } from './address.js';
import { mqReceiveConfigSchema, mqSendConfigSchema, type MqReceiveConfig, type MqSendConfig } from './config.js';
import { MqReceiveHandler } from './input.js';
import { MqSendHandler } from './output.js';

export type { MqClient, MqConnection, MqHandle } from './client.js';
export { MqiError } from './client.js';
export { MQ, MQCIH, MQDLH, MQIIH, MQMD, MQRFH2, MQXQH, mqNamespaces } from './context.js';
export { MQ_CLIENT_MISSING_MESSAGE, MQ_ERROR } from './errors.js';
export type { MqReceiveConfig, MqSendConfig } from './config.js';
export { mqReceiveConfigSchema, mqSendConfigSchema } from './config.js';
export { MqReceiveHandler } from './input.js';
export { MqSendHandler } from './output.js';

export const mqAdapter: AdapterDefinition<MqReceiveConfig, MqSendConfig> = {
  name: 'mq',
  description:
    'IBM MQ (MQSeries): transactional receive (MQGET under syncpoint, MQCMIT after the receipt is stored) and send to local, alias, remote, model and transmission queues, with MQMD, MQXQH, MQCIH, MQIIH, MQRFH2 and MQDLH as context properties.',
  receive: {
    config: mqReceiveConfigSchema,
    // Competing receivers share a queue safely (syncpoint); ordered receive is one receiver under a lease.
    singleActive: (config) => config.ordered,
    create: (config, location) => new MqReceiveHandler(config, location),
  },
  send: {
    config: mqSendConfigSchema,
    create: (config, port) => new MqSendHandler(config, port),
    address: { schemes: ['mq'], parse: parseMqAddress },
  },
};
