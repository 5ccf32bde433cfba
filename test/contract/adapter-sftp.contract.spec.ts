import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort } from '../support/nats-server.js';
import { staticSecrets } from '../support/secrets.js';
import { startSshd, type SshdServer } from '../support/sshd.js';
import { adapterContract } from './adapter.contract.js';

/** One real OpenSSH sshd (internal-sftp) for the file; key login, host key pinned. */
let server: SshdServer | undefined;
afterAll(async () => server?.stop());
let fixtures = 0;
let closedPort = 0;

const connection = (s: SshdServer, port = s.port) => ({
  host: '127.0.0.1',
  port,
  username: s.user,
  privateKey: { secret: 'sftp-key' },
  hostKeySha256: s.hostKeySha256,
});

adapterContract('sftp (OpenSSH)', {
  adapter: 'sftp',
  secrets: {
    reveal: (ref) => staticSecrets({ 'sftp-key': server!.privateKey }).reveal(ref),
  },
  redelivery: true,
  restart: { midStream: true },
  largeBodyBytes: 3 * 1024 * 1024,
  async open() {
    server ??= await startSshd('sftp-contract');
    closedPort ||= await freePort();
    const name = `loc-${++fixtures}`;
    const local = join(server.root, name, 'in');
    mkdirSync(local, { recursive: true });
    return {
      // Relative: the session starts in the server's root folder (no chroot under /tmp).
      receiveConfig: { ...connection(server), folder: `${name}/in`, pollIntervalMs: 100 },
      sendConfig: { ...connection(server), folder: `${name}/in`, fileName: '%MessageID%.dat' },
      remaining: async () => readdirSync(local).length,
      async inject(bodies) {
        bodies.forEach((body, i) => writeFileSync(join(local, `injected ${i}.bin`), body));
      },
      restartServer: () => server!.restart(),
      cleanup: async () => undefined,
    };
  },
  unreachable: () => ({
    receiveConfig: { ...connection(server!, closedPort), folder: 'in', pollIntervalMs: 100 },
    sendConfig: { ...connection(server!, closedPort), folder: 'in' },
  }),
});
