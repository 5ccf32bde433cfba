import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, superviseServer, waitForPort } from '../support/server-process.js';
import { makeTestCertificate } from '../support/test-certificate.js';

export { accepts, freePort, stopProcess } from '../support/server-process.js';

/*
 * Real FTP and SFTP servers on 127.0.0.1 for the transfer benchmark and the adapter tests:
 * pure-ftpd and OpenSSH sshd, each spawned directly (the recorded PID is the server's own),
 * stopped with SIGTERM and then SIGKILL.
 */

export interface PureFtpdServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The user's home folder on disk (the FTP root the user sees as `/`). */
  readonly home: string;
  /** The test CA/server certificate, PEM (present when started with TLS). */
  readonly certificate?: string;
  /** Its private key, PEM: a test may front the server with the same identity. */
  readonly certificateKey?: string;
  /** Stops with SIGTERM (SIGKILL after a timeout) and starts again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const NOBODY = 65534;

/**
 * A real `pure-ftpd` on 127.0.0.1 with one virtual user, run in the foreground (its PID is the
 * one recorded). The password hash comes from `openssl passwd -6`: pure-pw's default argon2 hash
 * makes every login take seconds. `tls: true` adds a self-signed certificate made at start, so
 * both explicit (AUTH TLS) and plain logins work (`-Y 1`).
 */
export async function startPureFtpd(options: { tls?: boolean; label?: string } = {}): Promise<PureFtpdServer> {
  const dir = mkdtempSync(join(tmpdir(), `signalbox-${options.label ?? 'ftpd'}-`));
  chmodSync(dir, 0o755);
  const home = join(dir, 'home', 'alice');
  mkdirSync(home, { recursive: true });
  chownSync(join(dir, 'home'), NOBODY, NOBODY);
  chownSync(home, NOBODY, NOBODY);
  const password = 'secret';
  const hash = execFileSync('openssl', ['passwd', '-6', password]).toString().trim();
  writeFileSync(join(dir, 'pureftpd.passwd'), `alice:${hash}:${NOBODY}:${NOBODY}::${home}/./::::::::::::\n`);
  execFileSync('pure-pw', ['mkdb', join(dir, 'pureftpd.pdb'), '-f', join(dir, 'pureftpd.passwd')]);

  let certificate: string | undefined;
  let certificateKey: string | undefined;
  const tlsArgs: string[] = [];
  if (options.tls) {
    // pure-ftpd takes the key and the certificate from one file.
    const pem = join(dir, 'pure-ftpd.pem');
    const made = makeTestCertificate(join(dir, 'tls'), 'localhost');
    certificate = made.cert;
    certificateKey = made.key;
    writeFileSync(pem, made.key + made.cert);
    tlsArgs.push('-Y', '1', '-2', pem);
  }

  const port = await freePort();
  const passiveLow = 30_000 + Math.floor(Math.random() * 30_000);
  const server = await superviseServer(
    dir,
    () =>
      spawnServer('/usr/sbin/pure-ftpd', [
        '-S',
        `127.0.0.1,${port}`,
        '-l',
        `puredb:${join(dir, 'pureftpd.pdb')}`,
        '-E',
        '-A',
        '-H',
        '-j',
        '-c',
        '50',
        '-C',
        '50',
        '-p',
        `${passiveLow}:${passiveLow + 99}`,
        '-P',
        '127.0.0.1',
        ...tlsArgs,
      ]),
    (spawned) => waitForPort(spawned, port, 'pure-ftpd'),
  );

  return {
    port,
    user: 'alice',
    password,
    home,
    ...(certificate === undefined || certificateKey === undefined ? {} : { certificate, certificateKey }),
    restart: () => server.restart(),
    stop: () => server.dispose(),
  };
}

/** Makes a file or folder under the FTP home owned by the virtual user, so the server may change it. */
export function giveToFtpUser(path: string): void {
  chownSync(path, NOBODY, NOBODY);
}

export interface SshdServer {
  readonly port: number;
  readonly user: string;
  /** The client's private key (OpenSSH PEM), authorised for `user`. */
  readonly privateKey: string;
  /** The server's host key fingerprint as OpenSSH prints it: `SHA256:…` (base64, no padding). */
  readonly hostKeySha256: string;
  /** The folder SFTP sessions start in; configs use paths relative to it. */
  readonly root: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH `sshd -D -e` on 127.0.0.1 with its own host key and one authorised client key,
 * serving only `internal-sftp`. OpenSSH refuses to chroot under /tmp, so `-d` just sets the
 * starting folder: the tests' paths are relative to `root`.
 */
export async function startSshd(label = 'sshd'): Promise<SshdServer> {
  mkdirSync('/run/sshd', { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), `signalbox-${label}-`));
  chmodSync(dir, 0o755);
  const root = join(dir, 'sftproot');
  mkdirSync(root);
  const keygen = (file: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, file)], { stdio: 'ignore' });
  keygen('ssh_host_ed25519_key');
  keygen('client_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const hostPub = readFileSync(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/)[1]!;
  const hostKeySha256 = `SHA256:${createHash('sha256').update(Buffer.from(hostPub, 'base64')).digest('base64').replace(/=+$/, '')}`;

  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowUsers root',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      `Subsystem sftp internal-sftp -d ${root}`,
      `ForceCommand internal-sftp -d ${root}`,
      '',
    ].join('\n'),
  );

  const server = await superviseServer(
    dir,
    // sshd -e logs every connection: keep only the end for error messages.
    () => spawnServer('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], 20_000),
    (spawned) => waitForPort(spawned, port, 'sshd'),
  );

  return {
    port,
    user: 'root',
    privateKey: readFileSync(join(dir, 'client_key'), 'utf8'),
    hostKeySha256,
    root,
    restart: () => server.restart(),
    stop: () => server.dispose(),
  };
}
