import { z } from 'zod';
import { credentialSchema } from '../../domain/config/secret-ref.js';

const hostName = z
  .string()
  .min(1)
  .refine((h) => !/[\s/@]/.test(h), 'a host name or address, without scheme, user or path');

export const pop3ReceiveConfigSchema = z
  .object({
    host: hostName.describe('The POP3 server.'),
    port: z.number().int().min(1).max(65_535).optional().describe('Default 110, or 995 with `tls: implicit`.'),
    tls: z
      .enum(['none', 'implicit'])
      .default('none')
      .describe(
        '`implicit`: TLS from the first byte (POP3S, port 995). STLS on port 110 is not offered by the client.',
      ),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('With TLS: refuse a server certificate that no trusted CA signed (leave on outside tests).'),
    ca: z.string().min(1).optional().describe('With TLS: extra trusted CA certificates, PEM.'),
    user: z.string().min(1).describe('The mailbox user name.'),
    password: credentialSchema.describe('The password, as a secret reference `{ secret: <name> }`.'),
    singleActive: z
      .enum(['always', 'never', 'auto'])
      .default('auto')
      .describe(
        'Run on one host instance at a time (under the location lease, claims on the fenced location stream): `always`, `never`, or `auto` = unless `serverLocksMailbox`.',
      ),
    serverLocksMailbox: z
      .boolean()
      .default(false)
      .describe(
        'The server refuses a second session on one mailbox (`-ERR [IN-USE]`), so receivers on several instances cannot interleave; with `singleActive: auto` they then all run.',
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(5_000)
      .describe('Pause between sessions when the mailbox was empty, in ms.'),
    maxMailsPerSession: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe(
        'Mails taken in one session. POP3 deletes only at QUIT, so after a crash this many mails can come back (each then a duplicate).',
      ),
    bodyPart: z
      .enum(['auto', 'text', 'html', 'raw'])
      .default('auto')
      .describe(
        'The message body: `auto` the text part (else the HTML part, else the first attachment); `text` or `html` that part (empty if absent); `raw` the whole mail undecoded (message/rfc822). The other parts become message parts.',
      ),
    maxDecodeBytes: z
      .number()
      .int()
      .min(1_024)
      .default(16 * 1024 * 1024)
      .describe(
        "Mails larger than this (by the server's LIST size) are not MIME-decoded in memory: the whole mail is streamed to the blob store as the body (message/rfc822), with its headers as context properties.",
      ),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe('How long one command (connect and login included) may take before the session is dropped, in ms.'),
  })
  .strict();
export type Pop3ReceiveConfig = z.output<typeof pop3ReceiveConfigSchema>;

/** Whether the location runs under a lease: `auto` unless the server itself keeps sessions apart. */
export function pop3SingleActive(config: Pop3ReceiveConfig): boolean {
  return config.singleActive === 'always' || (config.singleActive === 'auto' && !config.serverLocksMailbox);
}

export function pop3Port(config: Pop3ReceiveConfig): number {
  return config.port ?? (config.tls === 'implicit' ? 995 : 110);
}
