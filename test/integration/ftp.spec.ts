import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { ftpReceiveConfigSchema } from '../../src/adapters/ftp/config.js';
import { FtpConnector } from '../../src/adapters/ftp/connection.js';
import { startImplicitTlsFront } from '../support/implicit-tls-front.js';
import { giveToFtpUser, startPureFtpd, type PureFtpdServer } from '../support/pure-ftpd.js';
import { remoteFileScenarios, statOver, type RemoteServer } from '../support/remote-file-scenarios.js';
import { staticSecrets } from '../support/secrets.js';

const secrets = staticSecrets({ 'ftp-password': 'secret', wrong: 'not-the-password' });

function fixture(
  ftpd: PureFtpdServer,
  tls: 'none' | 'explicit' | { implicit: Awaited<ReturnType<typeof startImplicitTlsFront>> },
): RemoteServer {
  const secure =
    tls === 'none' ? {} : { secure: tls === 'explicit' ? 'explicit' : 'implicit', tls: { ca: ftpd.certificate } };
  const connection = {
    host: '127.0.0.1',
    port: typeof tls === 'object' ? tls.implicit.port : ftpd.port,
    username: ftpd.user,
    password: { secret: 'ftp-password' },
    ...secure,
  };
  const localOf = (remote: string) => join(ftpd.home, remote);
  return {
    adapter: 'ftp',
    secrets,
    connection,
    folder(name) {
      const local = localOf(`/${name}`);
      mkdirSync(local, { recursive: true });
      giveToFtpUser(local);
      return { remote: `/${name}`, local };
    },
    localOf,
    stat: (path) =>
      statOver(
        () => new FtpConnector(ftpReceiveConfigSchema.parse({ ...connection, folder: '/' }), secrets).connect(),
        path,
      ),
    stop: async () => {
      if (typeof tls === 'object') await tls.implicit.close();
      await ftpd.stop();
    },
  };
}

remoteFileScenarios('ftp (pure-ftpd)', async () => fixture(await startPureFtpd({ label: 'ftp-int' }), 'none'));
remoteFileScenarios('ftps explicit (pure-ftpd)', async () =>
  fixture(await startPureFtpd({ label: 'ftps-int', tls: true }), 'explicit'),
);
// pure-ftpd has no implicit mode: a front takes TLS from the first byte and speaks AUTH TLS to it.
remoteFileScenarios('ftps implicit (pure-ftpd behind an implicit-TLS front)', async () => {
  const ftpd = await startPureFtpd({ label: 'ftpsi-int', tls: true });
  const implicit = await startImplicitTlsFront({
    upstreamPort: ftpd.port,
    cert: ftpd.certificate!,
    key: ftpd.certificateKey!,
  });
  return fixture(ftpd, { implicit });
});

describe('ftp: refusals', () => {
  it('a wrong password and an untrusted certificate are permanent errors that name no secret', async () => {
    const ftpd = await startPureFtpd({ label: 'ftp-refusals', tls: true });
    try {
      const base = { host: '127.0.0.1', port: ftpd.port, username: ftpd.user, folder: '/' };
      const wrong = ftpReceiveConfigSchema.parse({ ...base, password: { secret: 'wrong' } });
      const refused = await new FtpConnector(wrong, secrets).connect().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PermanentAdapterError);
      expect((refused as PermanentAdapterError).code).toBe('REMOTE_AUTH_FAILED');
      expect(String((refused as Error).message)).not.toContain('not-the-password');

      const untrusted = ftpReceiveConfigSchema.parse({
        ...base,
        password: { secret: 'ftp-password' },
        secure: 'explicit',
      });
      const tlsRefused = await new FtpConnector(untrusted, secrets).connect().catch((e: unknown) => e);
      expect(tlsRefused).toBeInstanceOf(PermanentAdapterError);
      expect((tlsRefused as PermanentAdapterError).code).toBe('REMOTE_CONNECT_FAILED');
    } finally {
      await ftpd.stop();
    }
  });

  it('settings name the field at fault and refuse a plain-text password', () => {
    const fields = (config: Record<string, unknown>) => {
      const result = ftpReceiveConfigSchema.safeParse(config);
      return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    };
    expect(fields({ host: '127.0.0.1', password: 'plain', folder: '/in/../../etc' })).toEqual(['password', 'folder']);
    expect(fields({ host: '127.0.0.1', folder: '/in', afterReceive: 'move' })).toEqual(['archiveFolder']);
  });

  it('dynamic ftp:// and ftps:// addresses name the server, folder and file name; a password in one is refused', () => {
    const registry = defaultRegistry();
    const plain = registry.forAddress('ftp://alice@127.0.0.1:2121/out/%MessageID%.xml');
    expect(plain.adapter.name).toBe('ftp');
    expect(plain.config).toMatchObject({
      host: '127.0.0.1',
      port: 2121,
      username: 'alice',
      folder: 'out',
      fileName: '%MessageID%.xml',
      secure: 'none',
    });
    expect(registry.forAddress('ftps://h//abs/dir/x.xml').config).toMatchObject({
      folder: '/abs/dir',
      secure: 'explicit',
    });
    expect(() => registry.forAddress('ftp://alice:secret@h/out/x.xml')).toThrow(/password/);
    expect(() => registry.forAddress('ftp://h/../x.xml')).toThrow(PermanentAdapterError);
  });
});
