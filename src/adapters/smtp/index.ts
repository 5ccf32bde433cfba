import type { AdapterDefinition } from '../adapter.js';
import { parseMailtoAddress } from './address.js';
import { smtpSendConfigSchema, type SmtpSendConfig } from './config.js';
import { SmtpSendHandler } from './output.js';

export { SMTP, HEADER_PREFIX as SMTP_HEADER_PREFIX } from './context.js';
export { SMTP_ERROR } from './errors.js';
export type { SmtpSendConfig } from './config.js';
export { smtpSendConfigSchema } from './config.js';

export const smtpAdapter: AdapterDefinition<never, SmtpSendConfig> = {
  name: 'smtp',
  description: 'Sends each message as a mail through an SMTP relay; the body as text, HTML or an attachment.',
  send: {
    config: smtpSendConfigSchema,
    create: (config, port) => new SmtpSendHandler(config, port),
    address: { schemes: ['mailto'], parse: parseMailtoAddress },
  },
};
