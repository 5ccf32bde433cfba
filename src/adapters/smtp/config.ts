import { z } from 'zod';
import { credentialSchema } from '../../domain/config/secret-ref.js';

const hostName = z
  .string()
  .min(1)
  .refine((h) => !/[\s/@]/.test(h), 'a host name or address, without scheme, user or path');

/** One or more addresses, comma-separated; no line breaks (they would start a new header). */
const addressList = z
  .string()
  .min(1)
  .refine((s) => !/[\r\n]/.test(s), 'must not contain a line break');

export const smtpSendConfigSchema = z
  .object({
    host: hostName.describe('The SMTP server (relay).'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .optional()
      .describe('Default 587, 465 with `tls: implicit`, 25 with `tls: none`.'),
    tls: z
      .enum(['starttls', 'implicit', 'opportunistic', 'none'])
      .default('starttls')
      .describe(
        '`starttls`: STARTTLS required; `implicit`: TLS from the first byte (SMTPS); `opportunistic`: STARTTLS when the server offers it; `none`: never.',
      ),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('With TLS: refuse a server certificate no trusted CA signed (leave on outside tests).'),
    ca: z.string().min(1).optional().describe('With TLS: extra trusted CA certificates, PEM.'),
    user: z.string().min(1).optional().describe('AUTH user; with `password`. Without both, no AUTH.'),
    password: credentialSchema.optional().describe('AUTH password, as a secret reference `{ secret: <name> }`.'),
    from: addressList.optional().describe('The From address when the message has no `SMTP.From` property.'),
    to: addressList.optional().describe('Recipients when the message has no `SMTP.To` property.'),
    cc: addressList.optional().describe('Cc when the message has no `SMTP.Cc` property.'),
    bcc: addressList.optional().describe('Bcc when the message has no `SMTP.Bcc` property.'),
    subject: z
      .string()
      .refine((s) => !/[\r\n]/.test(s), 'must not contain a line break')
      .optional()
      .describe('The subject when the message has no `SMTP.Subject` property; `%MessageID%` is replaced.'),
    bodyAs: z
      .enum(['auto', 'text', 'html', 'attachment'])
      .default('auto')
      .describe(
        'The message body as the mail text, as its HTML, or as an attachment. `auto`: text for text/*, XML and JSON content types, HTML for text/html, otherwise (binary, or no content type) an attachment, which keeps every byte.',
      ),
    attachmentName: z
      .string()
      .min(1)
      .refine((n) => !/[\r\n/\\]/.test(n), 'a file name, without line breaks or slashes')
      .default('%MessageID%.bin')
      .describe('The file name of the body when it goes as an attachment; `%MessageID%` is replaced.'),
    maxTextBytes: z
      .number()
      .int()
      .min(1)
      .default(10 * 1024 * 1024)
      .describe('A body sent as text or HTML is read into memory, up to this size (attachments are streamed).'),
    timeoutMs: z.number().int().min(100).default(30_000).describe('Connect, greeting and socket timeouts, in ms.'),
    pool: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(4)
      .describe('Connections kept open and reused for sends (0: one connection per mail).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.user === undefined) !== (c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.user ? 'password' : 'user'], message: 'user and password go together' });
    }
  });
export type SmtpSendConfig = z.output<typeof smtpSendConfigSchema>;

export function smtpPort(config: SmtpSendConfig): number {
  return config.port ?? (config.tls === 'implicit' ? 465 : config.tls === 'none' ? 25 : 587);
}
