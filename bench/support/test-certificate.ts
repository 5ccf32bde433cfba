import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate, PEM: what a client trusts as its CA (it is self-signed). */
  readonly cert: string;
  readonly key: string;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost with common name `name`, made with
 * openssl now in `folder` (`<name>.crt`, `<name>.key`). It is its own CA, so a peer trusts it
 * by taking it as `ca`; it serves as a server's or a client's. The folder and the key are left
 * readable by the servers' own users (Dovecot, pure-ftpd), which do not run as this process.
 */
export function makeTestCertificate(folder: string, name = 'test'): TestCertificate {
  mkdirSync(folder, { recursive: true });
  const keyFile = join(folder, `${name}.key`);
  const certFile = join(folder, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', keyFile, '-out', certFile].concat([
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]),
    { stdio: 'ignore' },
  );
  chmodSync(folder, 0o755);
  chmodSync(keyFile, 0o644);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
