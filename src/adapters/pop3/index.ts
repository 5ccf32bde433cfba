import type { AdapterDefinition } from '../adapter.js';
import { pop3ReceiveConfigSchema, pop3SingleActive, type Pop3ReceiveConfig } from './config.js';
import { Pop3ReceiveHandler } from './input.js';

export { POP3 } from './context.js';
export { POP3_ERROR } from './errors.js';
export type { Pop3ReceiveConfig } from './config.js';
export { pop3ReceiveConfigSchema } from './config.js';

export const pop3Adapter: AdapterDefinition<Pop3ReceiveConfig, never> = {
  name: 'pop3',
  description:
    'Receives the mails of a POP3 mailbox (claimed by UIDL, deleted after receipt); MIME parts become message parts.',
  receive: {
    config: pop3ReceiveConfigSchema,
    // POP3 has no locks: two sessions on one mailbox would both see every mail, unless the server refuses the second.
    singleActive: pop3SingleActive,
    create: (config, location) => new Pop3ReceiveHandler(config, location),
  },
};
