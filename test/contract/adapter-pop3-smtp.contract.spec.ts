import nodemailer from 'nodemailer';
import { afterAll } from 'vitest';
import { defaultRegistry } from '../../src/adapters/index.js';
import { pop3Adapter } from '../../src/adapters/pop3/index.js';
import { smtpAdapter } from '../../src/adapters/smtp/index.js';
import { startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { freePort } from '../support/nats-server.js';
import { staticSecrets } from '../support/secrets.js';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.js';
import { adapterContract } from './adapter.contract.js';

/*
 * POP3 only receives and SMTP only sends, while the contract suite drives one adapter's two sides.
 * So here the suite's registry also holds `mail`: the real POP3 receive side and the real SMTP
 * send side of the registered adapters, joined by a real path: SMTP send → an SMTP server (AUTH)
 * that delivers into a real Dovecot's maildir → POP3 receive. Both adapters thus pass every case
 * together; `inject` puts mails straight into the maildir, as a local delivery agent would.
 */
function mailRegistry() {
  return defaultRegistry().register({
    name: 'mail',
    description: 'POP3 receive and SMTP send, for the contract suite',
    receive: pop3Adapter.receive!,
    send: smtpAdapter.send!,
  });
}

const POP3_PASSWORD = 'pop3-contract-secret';
const SMTP_PASSWORD = 'smtp-contract-secret';
const live: { dovecot: DovecotTestServer; smtp: SmtpReceiver }[] = [];
afterAll(async () => {
  for (const { dovecot, smtp } of live.splice(0)) {
    await smtp.close();
    await dovecot.dispose();
  }
});

/** A mail as another producer would deliver it: the body as its one attachment. */
async function composed(body: Buffer, i: number): Promise<Buffer> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await composer.sendMail({
    from: 'producer@example.com',
    to: 'alice@example.com',
    subject: `injected ${i}`,
    attachments: [{ filename: `body-${i}.bin`, content: body, contentType: 'application/octet-stream' }],
  });
  return info.message as Buffer;
}

let closedPort = 0;

adapterContract('pop3 receive + smtp send (Dovecot, smtp-server)', {
  adapter: 'mail',
  registry: mailRegistry,
  secrets: staticSecrets({ 'pop3-password': POP3_PASSWORD, 'smtp-password': SMTP_PASSWORD }),
  redelivery: true,
  restart: { midStream: true },
  largeBodyBytes: 2 * 1024 * 1024,
  async open() {
    closedPort ||= await freePort();
    // The server refuses a second session on the mailbox (`serverLocksMailbox`): two receivers
    // then take turns instead of both seeing every mail, which is what the "shares one location"
    // case asks. Without that lock, competing receivers rely on the source key (see
    // test/integration/pop3-competing.spec.ts).
    const dovecot = await startDovecot({ lockSession: true, label: 'pop3-contract', password: POP3_PASSWORD });
    const smtp = await startSmtpReceiver({ password: SMTP_PASSWORD, deliver: (mail) => dovecot.deliver(mail.raw) });
    live.push({ dovecot, smtp });
    return {
      receiveConfig: {
        host: dovecot.host,
        port: dovecot.port,
        user: dovecot.user,
        password: { secret: 'pop3-password' },
        serverLocksMailbox: true,
        pollIntervalMs: 100,
        timeoutMs: 5_000,
      },
      sendConfig: {
        host: smtp.host,
        port: smtp.port,
        tls: 'none',
        user: smtp.user,
        password: { secret: 'smtp-password' },
        from: 'signalbox@example.com',
        to: 'alice@example.com',
        subject: 'contract %MessageID%',
        timeoutMs: 5_000,
      },
      remaining: async () => dovecot.count(),
      async inject(bodies) {
        for (const [i, body] of bodies.entries()) dovecot.deliver(await composed(body, i));
      },
      async restartServer() {
        await dovecot.stop();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await dovecot.start();
      },
      async cleanup() {
        live.splice(
          live.findIndex((l) => l.dovecot === dovecot),
          1,
        );
        await smtp.close();
        await dovecot.dispose();
      },
    };
  },
  unreachable: () => ({
    receiveConfig: {
      host: '127.0.0.1',
      port: closedPort,
      user: 'nobody',
      password: { secret: 'pop3-password' },
      singleActive: 'never',
      timeoutMs: 2_000,
    },
    sendConfig: {
      host: '127.0.0.1',
      port: closedPort,
      tls: 'none',
      from: 'a@example.com',
      to: 'b@example.com',
      timeoutMs: 2_000,
    },
  }),
});
