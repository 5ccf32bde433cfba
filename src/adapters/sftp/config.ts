import { z } from 'zod';
import { credentialSchema } from '../../domain/config/secret-ref.js';
import { checkReceive, remoteReceiveShape, remoteSendShape } from '../remote-file/config.js';

/** How to reach and log in to one SFTP server; shared by receive locations and send ports. */
export const sftpConnectionShape = {
  host: z.string().min(1).describe('Host name or address of the SSH server.'),
  port: z.number().int().min(1).max(65_535).default(22).describe('The SSH port.'),
  username: z.string().min(1).describe('The user to log in as.'),
  password: credentialSchema.optional().describe('A password, as a secret reference `{ "secret": "<name>" }`.'),
  privateKey: credentialSchema
    .optional()
    .describe('A private key (OpenSSH or PEM text), as a secret reference; tried before the password.'),
  passphrase: credentialSchema.optional().describe("The private key's passphrase, as a secret reference."),
  hostKeySha256: z
    .string()
    .regex(
      /^SHA256:[A-Za-z0-9+/]{43}=?$/,
      'an OpenSSH fingerprint such as SHA256:u1q3…, from `ssh-keygen -lf <key>.pub`',
    )
    .describe(
      "The server's host key fingerprint, as `ssh-keygen -lf` prints it: any other key is refused (no trust on first use).",
    ),
  timeoutMs: z.number().int().min(100).default(30_000).describe('How long a connection attempt is waited for, in ms.'),
};

function needsCredential(c: { password?: unknown; privateKey?: unknown }, ctx: z.RefinementCtx): void {
  if (c.password === undefined && c.privateKey === undefined) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password or a privateKey is needed' });
  }
}

export const sftpReceiveConfigSchema = z
  .object({ ...sftpConnectionShape, ...remoteReceiveShape })
  .superRefine((c, ctx) => {
    needsCredential(c, ctx);
    checkReceive(c, ctx);
  });
export type SftpReceiveConfig = z.output<typeof sftpReceiveConfigSchema>;

export const sftpSendConfigSchema = z
  .object({ ...sftpConnectionShape, ...remoteSendShape })
  .superRefine(needsCredential);
export type SftpSendConfig = z.output<typeof sftpSendConfigSchema>;

export type SftpConnectionConfig = Pick<SftpReceiveConfig, keyof typeof sftpConnectionShape>;
