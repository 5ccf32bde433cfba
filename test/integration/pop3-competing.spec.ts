import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { staticSecrets } from '../support/secrets.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually } from './support/engine.js';
import { startMailEngine, type MailEngine } from './pop3-engine.js';

const PASSWORD = 'pop3-competing-secret';
const MAILS = 60;
const dir = tempDir('pop3-competing');
let server: DovecotTestServer | undefined;
const engines: MailEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await server?.dispose();
  dir.cleanup();
});

describe('POP3 receive without a lease (singleActive: never), two instances on one mailbox', () => {
  it(`${MAILS} mails: each session takes them in its own order and skips what the other recorded; the source key records each once`, async () => {
    // Dovecot as it ships: concurrent POP3 sessions on one mailbox are allowed.
    server = await startDovecot({ password: PASSWORD, label: 'pop3-competing' });
    const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
    for (let i = 0; i < MAILS; i++) {
      const info = await composer.sendMail({
        from: 'producer@example.com',
        to: 'alice@example.com',
        subject: `mail ${i}`,
        messageId: `<competing-${i}@example.com>`,
        text: `body ${i}\n`,
      });
      server.deliver(info.message as Buffer);
    }
    const bindings = {
      receiveLocations: [
        {
          name: 'shared-mailbox',
          receivePort: 'mail',
          adapter: 'pop3',
          config: {
            host: server.host,
            port: server.port,
            user: server.user,
            password: { secret: 'pop3-password' },
            singleActive: 'never',
            pollIntervalMs: 100,
          },
        },
      ],
      sendPorts: [
        {
          name: 'sink',
          adapter: 'file',
          config: { folder: join(dir.path, 'out'), createFolder: true },
          filter: "BTS.ReceivePortName == 'mail'",
        },
      ],
    };
    const secrets = staticSecrets({ 'pop3-password': PASSWORD });
    const data = join(dir.path, 'data');
    engines.push(await startMailEngine(data, bindings, secrets, 'a'));
    engines.push(await startMailEngine(data, bindings, secrets, 'b'));
    const [a] = engines as [MailEngine, MailEngine];

    await eventually(() => server!.count() === 0, 60_000);
    const received = await eventually(async () => {
      const events = (await a.events('message-')).filter((e) => e.type === 'MessageReceived');
      return events.length >= MAILS ? events : undefined;
    }, 30_000);
    const perMessageId = new Map<string, number>();
    for (const event of received) {
      if (event.type !== 'MessageReceived') continue;
      const id = String(event.data.context.promoted['POP3.MessageID']);
      perMessageId.set(id, (perMessageId.get(id) ?? 0) + 1);
    }
    expect(perMessageId.size).toBe(MAILS);
    expect([...perMessageId.values()].every((n) => n === 1)).toBe(true);
    expect(received).toHaveLength(MAILS);

    // Dovecot's logouts (`retr=N/bytes`): more retrievals than mails means both instances took
    // some of the same mails at the same moment, which is what the source key is for. Both
    // sessions taking the mails in mailbox order downloaded every one twice (120 for 60); each in
    // its own random order and skipping the recorded ones, 62 to 65 in the runs we made.
    const retrieved = [...server.log().matchAll(/retr=(\d+)\//g)].reduce((n, m) => n + Number(m[1]), 0);
    process.stderr.write(`[pop3-competing] ${retrieved} RETRs for ${MAILS} mails\n`);
    expect(retrieved).toBeGreaterThanOrEqual(MAILS);
    expect(retrieved).toBeLessThan(MAILS * 1.5);
  }, 120_000);
});
