import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentAdapterError } from '../../src/adapters/errors.js';
import { sftpReceiveConfigSchema } from '../../src/adapters/sftp/config.js';
import { SftpConnector } from '../../src/adapters/sftp/connection.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { remoteFileScenarios, statOver, type RemoteServer } from '../support/remote-file-scenarios.js';
import { staticSecrets } from '../support/secrets.js';
import { startSshd, type SshdServer } from '../support/sshd.js';

function fixture(sshd: SshdServer): RemoteServer {
  const secrets: SecretResolver = staticSecrets({ 'sftp-key': sshd.privateKey });
  const connection = {
    host: '127.0.0.1',
    port: sshd.port,
    username: sshd.user,
    privateKey: { secret: 'sftp-key' },
    hostKeySha256: sshd.hostKeySha256,
  };
  // Paths are relative to the folder the session starts in (no chroot under /tmp).
  const localOf = (remote: string) => join(sshd.root, remote);
  return {
    adapter: 'sftp',
    secrets,
    connection,
    folder(name) {
      const local = localOf(name);
      mkdirSync(local, { recursive: true });
      return { remote: name, local };
    },
    localOf,
    stat: (path) =>
      statOver(
        () => new SftpConnector(sftpReceiveConfigSchema.parse({ ...connection, folder: '.' }), secrets).connect(),
        path,
      ),
    stop: () => sshd.stop(),
  };
}

remoteFileScenarios('sftp (OpenSSH)', async () => fixture(await startSshd('sftp-int')));

describe('sftp: refusals', () => {
  it('a host key other than the pinned one, and a key the server does not know, are permanent errors', async () => {
    const sshd = await startSshd('sftp-refusals');
    const keys = mkdtempSync(join(tmpdir(), 'signalbox-sftp-otherkey-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'k')], { stdio: 'ignore' });
      const secrets = staticSecrets({ good: sshd.privateKey, unknown: readFileSync(join(keys, 'k'), 'utf8') });
      const base = { host: '127.0.0.1', port: sshd.port, username: sshd.user, folder: '.' };
      const otherHost = sftpReceiveConfigSchema.parse({
        ...base,
        privateKey: { secret: 'good' },
        hostKeySha256: `SHA256:${'A'.repeat(43)}`,
      });
      const mismatch = await new SftpConnector(otherHost, secrets).connect().catch((e: unknown) => e);
      expect(mismatch).toBeInstanceOf(PermanentAdapterError);
      expect((mismatch as PermanentAdapterError).code).toBe('REMOTE_HOST_KEY_MISMATCH');
      expect((mismatch as Error).message).toContain(sshd.hostKeySha256);

      const unknownKey = sftpReceiveConfigSchema.parse({
        ...base,
        privateKey: { secret: 'unknown' },
        hostKeySha256: sshd.hostKeySha256,
      });
      const refused = await new SftpConnector(unknownKey, secrets).connect().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PermanentAdapterError);
      expect((refused as PermanentAdapterError).code).toBe('REMOTE_AUTH_FAILED');
      expect((refused as Error).message).not.toContain('PRIVATE KEY');
    } finally {
      rmSync(keys, { recursive: true, force: true });
      await sshd.stop();
    }
  });

  it('settings need a credential and a pinned host key, and name the fields', () => {
    const result = sftpReceiveConfigSchema.safeParse({ host: '127.0.0.1', username: 'u', folder: 'in' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain('hostKeySha256');
    const noCredential = sftpReceiveConfigSchema.safeParse({
      host: '127.0.0.1',
      username: 'u',
      folder: 'in',
      hostKeySha256: `SHA256:${'A'.repeat(43)}`,
    });
    expect(noCredential.error!.issues.map((i) => i.path.join('.'))).toEqual(['password']);
  });
});
