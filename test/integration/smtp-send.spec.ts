import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage, SendHandler } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { MessageContext } from '../../src/domain/events/index.js';
import { outbound } from '../contract/adapter-support.js';
import { startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { staticSecrets } from '../support/secrets.js';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually } from './support/engine.js';
import { startMailEngine, type MailEngine } from './pop3-engine.js';

const SMTP_PASSWORD = 'smtp-integration-secret';
const secrets = staticSecrets({ 'smtp-password': SMTP_PASSWORD, 'pop3-password': 'pop3-forward-secret' });
let receiver: SmtpReceiver;
const handlers: SendHandler[] = [];
beforeAll(async () => {
  receiver = await startSmtpReceiver({ password: SMTP_PASSWORD });
});
afterEach(async () => {
  await Promise.all(handlers.splice(0).map((h) => h.close()));
});
afterAll(async () => {
  await receiver.close();
});

const registry = defaultRegistry();
function sender(extra: Record<string, unknown> = {}, resolver = secrets): SendHandler {
  const config = registry.sendConfig(
    'smtp',
    {
      host: receiver.host,
      port: receiver.port,
      tls: 'none',
      user: receiver.user,
      password: { secret: 'smtp-password' },
      from: 'port@example.com',
      to: 'port-default@example.com',
      subject: 'order %MessageID%',
      timeoutMs: 5_000,
      ...extra,
    },
    'config',
  );
  const handler = registry.get('smtp').send!.create(config, { name: 'mail-out', secrets: resolver });
  handlers.push(handler);
  return handler;
}

const signal = () => new AbortController().signal;
const context = (promoted: Record<string, string>, written: Record<string, string> = {}): MessageContext => ({
  promoted,
  written,
});
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('SMTP send (nodemailer to a real SMTP server in process, AUTH)', () => {
  it('sets the headers from SMTP.* context properties, over the port settings, and authenticates', async () => {
    const before = receiver.mails.length;
    const message: OutboundMessage = {
      ...outbound(Buffer.from('<order id="7"/>'), {
        messageId: 'm-headers',
        port: 'mail-out',
        context: context(
          { 'SMTP.To': 'alice@example.com, bob@example.com', 'SMTP.Subject': 'Order 7 – ünïcode' },
          {
            'SMTP.Cc': 'carol@example.com',
            'SMTP.Bcc': 'audit@example.com',
            'SMTP.From': 'orders@example.com',
            'SMTP.Header.X-Order-Id': '7',
          },
        ),
      }),
      contentType: 'application/xml',
    };
    const outcome = await sender().send(message, signal());
    expect(outcome.properties?.['SMTP.MessageID']).toBe('<m-headers.mail-out@signalbox>');
    expect(receiver.mails).toHaveLength(before + 1);
    const mail = receiver.mails.at(-1)!;
    expect(mail.user).toBe(receiver.user);
    expect(mail.from).toBe('orders@example.com');
    expect([...mail.to].sort()).toEqual([
      'alice@example.com',
      'audit@example.com',
      'bob@example.com',
      'carol@example.com',
    ]);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('Order 7 – ünïcode');
    expect(parsed.messageId).toBe('<m-headers.mail-out@signalbox>');
    expect(parsed.headers.get('x-order-id')).toBe('7');
    expect(parsed.headers.has('bcc')).toBe(false);
    // An XML body goes as the mail text.
    expect(parsed.text?.trim()).toBe('<order id="7"/>');
    expect(parsed.attachments).toHaveLength(0);
  });

  it('uses the port settings when the message has no SMTP properties; a binary body and parts go as attachments, byte for byte', async () => {
    const body = randomBytes(300_000);
    const extra = randomBytes(10_000);
    const message = {
      ...outbound(body, { messageId: 'm-binary', port: 'mail-out' }),
      parts: [{ name: 'extra.bin', contentType: 'application/octet-stream', open: async () => Readable.from([extra]) }],
    };
    await sender().send(message, signal());
    const mail = receiver.mails.at(-1)!;
    expect(mail.from).toBe('port@example.com');
    expect(mail.to).toEqual(['port-default@example.com']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('order m-binary');
    expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['m-binary.bin', 'application/octet-stream'],
      ['extra.bin', 'application/octet-stream'],
    ]);
    expect(Buffer.compare(parsed.attachments[0]!.content, body)).toBe(0);
    expect(Buffer.compare(parsed.attachments[1]!.content, extra)).toBe(0);
  });

  it('a 5xx refusal is permanent, a 4xx deferral transient, refused credentials permanent', async () => {
    const handler = sender();
    receiver.failNext(1, 550);
    const refused = await failureOf(handler.send(outbound(Buffer.from('x')), signal()));
    expect(refused).toBeInstanceOf(PermanentAdapterError);
    expect((refused as PermanentAdapterError).code).toBe('SMTP_REJECTED');
    receiver.failNext(1, 451);
    const deferred = await failureOf(handler.send(outbound(Buffer.from('x')), signal()));
    expect(deferred).toBeInstanceOf(TransientAdapterError);
    expect((deferred as TransientAdapterError).code).toBe('SMTP_DEFERRED');

    const wrong = sender({}, staticSecrets({ 'smtp-password': 'wrong-password' }));
    const auth = await failureOf(wrong.send(outbound(Buffer.from('x')), signal()));
    expect(auth).toBeInstanceOf(PermanentAdapterError);
    expect((auth as PermanentAdapterError).code).toBe('SMTP_AUTH_FAILED');
    expect((auth as Error).message).not.toContain('wrong-password');
  });

  it('refuses a message without recipient or with a line break in a header, naming the property', async () => {
    const noRecipient = sender({ to: undefined });
    const none = await failureOf(noRecipient.send(outbound(Buffer.from('x')), signal()));
    expect((none as PermanentAdapterError).code).toBe('SMTP_NO_RECIPIENT');
    const injected = await failureOf(
      sender().send(
        outbound(Buffer.from('x'), { context: context({ 'SMTP.Header.X-Evil': 'a\r\nBcc: victim@example.com' }) }),
        signal(),
      ),
    );
    expect(injected).toBeInstanceOf(PermanentAdapterError);
    expect((injected as Error).message).toContain('SMTP.Header.X-Evil');
    expect(() =>
      registry.sendConfig('smtp', { host: 'h', user: 'u', password: 'plain' }, 'sendPorts.0.config'),
    ).toThrow(/sendPorts\.0\.config\.password/);
  });

  it('sends to a dynamic mailto: address', async () => {
    const { adapter, config } = registry.forAddress(
      `mailto:dyn@example.com?subject=Dynamic&from=dyn-sender@example.com&server=127.0.0.1:${receiver.port}`,
    );
    expect(adapter.name).toBe('smtp');
    const handler = adapter.send!.create(config, { name: 'dynamic', secrets });
    handlers.push(handler);
    const unauthenticated = await startSmtpReceiver({ requireAuth: false });
    const opened: SendHandler[] = [];
    try {
      // The receiver above demands AUTH, which a mailto: address cannot carry: refused, permanently.
      const refused = await failureOf(handler.send(outbound(Buffer.from('x')), signal()));
      expect(refused).toBeInstanceOf(PermanentAdapterError);
      const open = registry.forAddress(
        `mailto:dyn@example.com?subject=Dynamic&from=d@example.com&server=127.0.0.1:${unauthenticated.port}`,
      );
      const openHandler = open.adapter.send!.create(open.config, { name: 'dynamic', secrets });
      opened.push(openHandler);
      await openHandler.send(outbound(Buffer.from('hello'), { context: context({}) }), signal());
      const parsed = await simpleParser(unauthenticated.mails.at(-1)!.raw);
      expect(parsed.subject).toBe('Dynamic');
      expect(unauthenticated.mails.at(-1)!.to).toEqual(['dyn@example.com']);
    } finally {
      // Pooled connections stay open until their handler closes; the server waits for them.
      await Promise.all(opened.map((h) => h.close()));
      await unauthenticated.close();
    }
    expect(() => registry.forAddress('mailto:?subject=x')).toThrow(/no recipient/);
  });
});

describe('POP3 in, SMTP out, through the engine', () => {
  const dir = tempDir('mail-forward');
  let dovecot: DovecotTestServer | undefined;
  let engine: MailEngine | undefined;
  afterAll(async () => {
    await engine?.stop();
    await dovecot?.dispose();
    dir.cleanup();
  });

  it('forwards a received mail with its attachment: routed on POP3.Subject, sent with the port settings, MessageSent recorded', async () => {
    const invoice = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    dovecot = await startDovecot({ password: 'pop3-forward-secret', label: 'mail-forward' });
    const info = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail({
      from: 'customer@example.com',
      to: 'alice@example.com',
      subject: 'forward me',
      text: 'please forward\n',
      attachments: [{ filename: 'invoice.bin', content: invoice, contentType: 'application/octet-stream' }],
    });
    dovecot.deliver(info.message as Buffer);
    const before = receiver.mails.length;
    engine = await startMailEngine(
      join(dir.path, 'data'),
      {
        receiveLocations: [
          {
            name: 'inbox',
            receivePort: 'mail',
            adapter: 'pop3',
            config: {
              host: dovecot.host,
              port: dovecot.port,
              user: dovecot.user,
              password: { secret: 'pop3-password' },
              pollIntervalMs: 100,
            },
          },
        ],
        sendPorts: [
          {
            name: 'forward',
            adapter: 'smtp',
            filter: "POP3.Subject == 'forward me'",
            config: {
              host: receiver.host,
              port: receiver.port,
              tls: 'none',
              user: receiver.user,
              password: { secret: 'smtp-password' },
              from: 'signalbox@example.com',
              to: 'ops@example.com',
              subject: 'Fwd %MessageID%',
            },
          },
        ],
      },
      secrets,
    );
    const sent = await eventually(
      async () => (await engine!.events('message-')).find((e) => e.type === 'MessageSent'),
      30_000,
    );
    expect(receiver.mails.length).toBe(before + 1);
    const mail = receiver.mails.at(-1)!;
    expect(mail.to).toEqual(['ops@example.com']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.text).toBe('please forward\n');
    expect(parsed.subject).toBe(`Fwd ${(sent.data as { messageId: string }).messageId}`);
    // The received mail's attachment is a message part; the send carries it on, byte for byte.
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['invoice.bin']);
    expect(Buffer.compare(parsed.attachments[0]!.content, invoice)).toBe(0);
    await eventually(() => dovecot!.count() === 0);
  }, 60_000);
});
