import type { AdapterDefinition } from '../adapter.js';
import { parseHttpAddress } from './address.js';
import {
  httpReceiveConfigSchema,
  httpSendConfigSchema,
  type HttpReceiveConfig,
  type HttpSendConfig,
} from './config.js';
import { HttpReceiveHandler } from './input.js';
import { HttpSendHandler } from './output.js';

export { HEADER_PREFIX, HTTP } from './context.js';
export { HTTP_ERROR } from './errors.js';
export type { HttpReceiveConfig, HttpSendConfig } from './config.js';
export { httpReceiveConfigSchema, httpSendConfigSchema } from './config.js';

export const httpAdapter: AdapterDefinition<HttpReceiveConfig, HttpSendConfig> = {
  name: 'http',
  description:
    'HTTP: receive POSTed bodies (202 with the message id, Idempotency-Key, size limits, request-response) and send by POST/PUT (TLS, solicit-response).',
  receive: {
    config: httpReceiveConfigSchema,
    // Every instance listens and takes the requests that reach it (a load balancer spreads them).
    singleActive: 'never',
    create: (config, location) => new HttpReceiveHandler(config, location),
  },
  send: {
    config: httpSendConfigSchema,
    create: (config, port) => new HttpSendHandler(config, port),
    address: { schemes: ['http', 'https'], parse: parseHttpAddress },
  },
};
