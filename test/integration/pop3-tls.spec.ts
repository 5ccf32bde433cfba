import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/adapters/adapter.js';
import { TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { makeTestCertificate, startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { staticSecrets } from '../support/secrets.js';
import { startSmtpReceiver } from '../support/smtp-receiver.js';
import { tempDir } from '../support/temp-dir.js';
import { outbound } from '../contract/adapter-support.js';
import { eventually } from './support/engine.js';

const PASSWORD = 'pop3-tls-secret';
const secrets = staticSecrets({ 'pop3-password': PASSWORD, 'smtp-password': 'smtp-tls-secret' });
const dir = tempDir('mail-tls');
let dovecot: DovecotTestServer | undefined;
afterAll(async () => {
  await dovecot?.dispose();
  dir.cleanup();
});
const registry = defaultRegistry();

describe('mail over TLS (self-signed test certificate)', () => {
  it('POP3S: receives over implicit TLS when the certificate is trusted, and refuses an untrusted one', async () => {
    const certificate = makeTestCertificate(dir.path);
    dovecot = await startDovecot({ password: PASSWORD, tls: certificate, label: 'pop3-tls' });
    const info = await nodemailer
      .createTransport({ streamTransport: true, buffer: true })
      .sendMail({ from: 'tls@example.com', to: 'alice@example.com', subject: 'over tls', text: 'secret\n' });
    dovecot.deliver(info.message as Buffer);
    const settings = {
      host: '127.0.0.1',
      port: dovecot.tlsPort,
      tls: 'implicit',
      user: dovecot.user,
      password: { secret: 'pop3-password' },
      singleActive: 'never',
      pollIntervalMs: 100,
      timeoutMs: 5_000,
    };
    const create = (extra: Record<string, unknown>) =>
      registry.get('pop3').receive!.create(registry.receiveConfig('pop3', { ...settings, ...extra }, 'config'), {
        name: 'tls-in',
        receivePort: 'mail',
        secrets,
      });

    const untrusted = await create({})
      .run({ signal: new AbortController().signal, submit: () => Promise.reject(new Error('none expected')) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(untrusted).toBeInstanceOf(TransientAdapterError);
    expect(String((untrusted as Error).message)).toMatch(/certificate/i);
    expect(dovecot.count()).toBe(1);

    const received: InboundMessage[] = [];
    const controller = new AbortController();
    const running = create({ ca: certificate.cert }).run({
      signal: controller.signal,
      submit: async (m) => {
        received.push(m);
        return { status: 'received', messageIds: ['x'] };
      },
    });
    await eventually(() => received.length === 1 && dovecot!.count() === 0);
    controller.abort();
    await running;
    expect(received[0]!.context?.promoted?.['POP3.Subject']).toBe('over tls');
  }, 60_000);

  it('SMTP: STARTTLS required, with AUTH over the encrypted connection', async () => {
    const certificate = makeTestCertificate(dir.path);
    const receiver = await startSmtpReceiver({ password: 'smtp-tls-secret', tls: certificate });
    const base = {
      host: '127.0.0.1',
      port: receiver.port,
      tls: 'starttls',
      user: receiver.user,
      password: { secret: 'smtp-password' },
      from: 'tls@example.com',
      to: 'ops@example.com',
      timeoutMs: 5_000,
      pool: 0,
    };
    const create = (extra: Record<string, unknown>) =>
      registry
        .get('smtp')
        .send!.create(registry.sendConfig('smtp', { ...base, ...extra }, 'config'), { name: 'tls-out', secrets });
    try {
      const untrusted = create({});
      const refused = await untrusted.send(outbound(Buffer.from('x')), new AbortController().signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      await untrusted.close();
      expect(refused).toBeInstanceOf(TransientAdapterError);
      expect(String((refused as Error).message)).toMatch(/certificate/i);
      expect(receiver.mails).toHaveLength(0);
      const trusted = create({ ca: certificate.cert });
      await trusted.send(outbound(Buffer.from('over tls')), new AbortController().signal);
      await trusted.close();
      expect(receiver.mails).toHaveLength(1);
      expect(receiver.mails[0]!.user).toBe(receiver.user);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
