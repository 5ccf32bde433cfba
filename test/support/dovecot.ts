import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, superviseServer, waitUntilReady } from '../../bench/support/server-process.js';
import type { TestCertificate } from '../../bench/support/test-certificate.js';

export { makeTestCertificate, type TestCertificate } from '../../bench/support/test-certificate.js';

export interface DovecotTestServer {
  readonly host: string;
  readonly port: number;
  /** POP3S (TLS from the first byte), when started with `tls`. */
  readonly tlsPort: number | undefined;
  readonly user: string;
  readonly password: string;
  /** The user's maildir (`…/Maildir`). */
  readonly maildir: string;
  /** Delivers one raw RFC 5322 mail into the maildir, as a local delivery agent would. */
  deliver(raw: Buffer | string): void;
  /** Dovecot's log so far (each POP3 logout says how many mails the session retrieved and deleted). */
  log(): string;
  /** Mails in the mailbox now (new and cur), as files; a POP3 DELE is gone only after QUIT. */
  count(): number;
  /** SIGTERM, then SIGKILL after a timeout; with `start` it comes back on the same port and mail. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

/** The unprivileged owner of the mail: Dovecot reads and writes the maildir as this uid. */
const MAIL_UID = 65534;
const START_TIMEOUT_MS = 15_000;
let delivered = 0;

/**
 * A real Dovecot POP3 server on 127.0.0.1 with one passwd-file user and a maildir, in a folder of
 * its own (no change under /etc). Login delays are off so a refused password does not slow the
 * next logins. `lockSession` makes it refuse a second session on a mailbox
 * (`pop3_lock_session`); by default, as Dovecot ships, concurrent sessions are allowed.
 */
export async function startDovecot(
  options: { lockSession?: boolean; label?: string; password?: string; tls?: TestCertificate } = {},
): Promise<DovecotTestServer> {
  const dir = mkdtempSync(join(tmpdir(), `signalbox-${options.label ?? 'dovecot'}-`));
  // Dovecot's processes run as `dovecot` and as the mail uid: they must be able to enter the folder.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const tlsPort = options.tls ? await freePort() : undefined;
  const user = 'alice';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const home = join(dir, 'mail', user);
  const maildir = join(home, 'Maildir');
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  chownRecursive(join(dir, 'mail'));
  writeFileSync(join(dir, 'users'), `${user}:{PLAIN}${password}:${MAIL_UID}:${MAIL_UID}::${home}::\n`);
  writeFileSync(
    join(dir, 'dovecot.conf'),
    [
      'protocols = pop3',
      'listen = 127.0.0.1',
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${dir}/dovecot.log`,
      ...(options.tls
        ? ['ssl = yes', `ssl_cert = <${options.tls.certFile}`, `ssl_key = <${options.tls.keyFile}`]
        : ['ssl = no']),
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      'auth_failure_delay = 0',
      'mail_location = maildir:~/Maildir',
      `pop3_lock_session = ${options.lockSession ? 'yes' : 'no'}`,
      'service pop3-login {',
      `  inet_listener pop3 {\n    address = 127.0.0.1\n    port = ${port}\n  }`,
      ...(tlsPort
        ? [`  inet_listener pop3s {\n    address = 127.0.0.1\n    port = ${tlsPort}\n    ssl = yes\n  }`]
        : []),
      '}',
      'service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n}',
      'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}',
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${dir}/users\n}`,
      `userdb {\n  driver = passwd-file\n  args = username_format=%u ${dir}/users\n}`,
      '',
    ].join('\n'),
  );

  const server = await superviseServer(
    dir,
    () => spawnServer('/usr/sbin/dovecot', ['-F', '-c', join(dir, 'dovecot.conf')]),
    (spawned) =>
      waitUntilReady(spawned, `dovecot on port ${port}`, () => greets(port), {
        timeoutMs: START_TIMEOUT_MS,
        pollMs: 50,
      }),
  );
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    user,
    password,
    maildir,
    deliver(raw) {
      // Written under tmp/ and renamed into new/, as the maildir format asks, so no reader sees half a mail.
      const name = `${Date.now()}.P${process.pid}Q${++delivered}.signalbox`;
      const tmp = join(maildir, 'tmp', name);
      writeFileSync(tmp, raw);
      chownSync(tmp, MAIL_UID, MAIL_UID);
      renameSync(tmp, join(maildir, 'new', name));
    },
    log: () => readFileSync(join(dir, 'dovecot.log'), 'utf8'),
    count() {
      return ['new', 'cur'].reduce((n, sub) => n + readdirSync(join(maildir, sub)).length, 0);
    },
    stop: () => server.stop(),
    start: () => server.start(),
    dispose: () => server.dispose(),
  };
}

function chownRecursive(path: string): void {
  chownSync(path, MAIL_UID, MAIL_UID);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownRecursive(child);
    else chownSync(child, MAIL_UID, MAIL_UID);
  }
}

/** True once the server answers with its `+OK` greeting (the login process is up). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('data', (data: Buffer) => done(data.toString().startsWith('+OK')));
    socket.once('error', () => done(false));
  });
}
