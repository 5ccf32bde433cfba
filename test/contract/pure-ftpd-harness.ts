import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from '../support/nats-server.js';
import { giveToFtpUser, startPureFtpd, type PureFtpdServer } from '../support/pure-ftpd.js';
import { staticSecrets } from '../support/secrets.js';
import type { AdapterHarness } from './adapter.contract.js';

/**
 * The FTP adapter's contract harness on one real pure-ftpd per spec file: plain FTP, or with
 * `tls` a test certificate made by openssl at start and explicit FTPS (AUTH TLS, PROT P).
 */
export function pureFtpdHarness(options: { label: string; tls?: boolean }): AdapterHarness {
  let server: PureFtpdServer | undefined;
  afterAll(async () => server?.stop());
  let fixtures = 0;
  let closedPort = 0;
  return {
    adapter: 'ftp',
    secrets: staticSecrets({ 'ftp-password': 'secret' }),
    redelivery: true,
    restart: { midStream: true },
    largeBodyBytes: 3 * 1024 * 1024,
    async open() {
      server ??= await startPureFtpd({ label: options.label, tls: options.tls ?? false });
      closedPort ||= await freePort();
      const name = `loc-${++fixtures}`;
      const local = join(server.home, name, 'in');
      mkdirSync(local, { recursive: true });
      giveToFtpUser(join(server.home, name));
      giveToFtpUser(local);
      const connection = {
        host: '127.0.0.1',
        port: server.port,
        username: server.user,
        password: { secret: 'ftp-password' },
        ...(options.tls ? { secure: 'explicit', tls: { ca: server.certificate } } : {}),
      };
      const ftp = server;
      return {
        receiveConfig: { ...connection, folder: `/${name}/in`, pollIntervalMs: 100 },
        sendConfig: { ...connection, folder: `/${name}/in`, fileName: '%MessageID%.dat' },
        remaining: async () => readdirSync(local).length,
        async inject(bodies) {
          // Plain writes beside the server, as another producer would: the stability check must cope.
          bodies.forEach((body, i) => writeFileSync(join(local, `injected ${i}.bin`), body));
        },
        restartServer: () => ftp.restart(),
        cleanup: async () => undefined,
      };
    },
    unreachable: () => ({
      receiveConfig: { host: '127.0.0.1', port: closedPort, folder: '/in', pollIntervalMs: 100 },
      sendConfig: { host: '127.0.0.1', port: closedPort, folder: '/in' },
    }),
  };
}
