import { z } from 'zod';
import { credentialSchema } from '../../domain/config/secret-ref.js';
import { checkReceive, remoteReceiveShape, remoteSendShape } from '../remote-file/config.js';

/** How to reach and log in to one FTP server; shared by receive locations and send ports. */
export const ftpConnectionShape = {
  host: z.string().min(1).describe('Host name or address of the FTP server.'),
  port: z.number().int().min(1).max(65_535).optional().describe('Default: 21, or 990 with `secure: implicit`.'),
  username: z.string().min(1).default('anonymous').describe('The user to log in as.'),
  password: credentialSchema.optional().describe('The password, as a secret reference `{ "secret": "<name>" }`.'),
  secure: z
    .enum(['none', 'explicit', 'implicit'])
    .default('none')
    .describe(
      '`explicit`: FTPS with AUTH TLS on the plain port; `implicit`: TLS from the first byte (port 990). Data connections are protected too.',
    ),
  tls: z
    .object({
      rejectUnauthorized: z
        .boolean()
        .default(true)
        .describe('Refuse a server certificate that does not chain to a trusted CA (keep true outside tests).'),
      ca: z.string().min(1).optional().describe('PEM of the CA (or the self-signed certificate) to trust.'),
      servername: z.string().min(1).optional().describe('The name to check the certificate against; default `host`.'),
    })
    .prefault({})
    .describe('TLS settings for `secure: explicit | implicit`.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe('How long a connection attempt or a silent server is waited for, in ms.'),
};

export const ftpReceiveConfigSchema = z
  .object({ ...ftpConnectionShape, ...remoteReceiveShape })
  .superRefine(checkReceive);
export type FtpReceiveConfig = z.output<typeof ftpReceiveConfigSchema>;

export const ftpSendConfigSchema = z.object({ ...ftpConnectionShape, ...remoteSendShape });
export type FtpSendConfig = z.output<typeof ftpSendConfigSchema>;

export type FtpConnectionConfig = Pick<FtpReceiveConfig, keyof typeof ftpConnectionShape>;
