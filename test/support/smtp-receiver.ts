import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string | undefined;
  readonly to: readonly string[];
  readonly raw: Buffer;
  readonly user: string | undefined;
}

export interface SmtpReceiver {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly mails: ReceivedMail[];
  /** Makes the next `n` mails fail with this reply code (4xx: try later, 5xx: refused). */
  failNext(n: number, responseCode: number): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server (`smtp-server`) in this process on 127.0.0.1, with AUTH PLAIN/LOGIN for one
 * user, keeping every mail it accepts; `deliver` also hands each one on (into a maildir, say).
 */
export async function startSmtpReceiver(
  options: {
    requireAuth?: boolean;
    password?: string;
    deliver?: (mail: ReceivedMail) => void;
    tls?: { key: string; cert: string };
  } = {},
): Promise<SmtpReceiver> {
  const user = 'sender';
  const password = options.password ?? `smtp-${Math.random().toString(36).slice(2)}`;
  const mails: ReceivedMail[] = [];
  let failures = 0;
  let failCode = 451;
  const settings: SMTPServerOptions = {
    authOptional: !(options.requireAuth ?? true),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    size: 64 * 1024 * 1024,
    logger: false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures > 0) {
          failures--;
          callback(Object.assign(new Error(`refused on purpose (${failCode})`), { responseCode: failCode }));
          return;
        }
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        try {
          options.deliver?.(mail);
        } catch (error) {
          callback(Object.assign(new Error(`delivery failed: ${String(error)}`), { responseCode: 451 }));
          return;
        }
        mails.push(mail);
        callback();
      });
    },
  };
  const server = new SMTPServer(settings);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (typeof address !== 'object' || !address) throw new Error('the SMTP receiver has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    user,
    password,
    mails,
    failNext(n, responseCode) {
      failures = n;
      failCode = responseCode;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
