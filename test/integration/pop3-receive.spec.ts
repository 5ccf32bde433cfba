import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage, LocationLog, ReceiveHandler, SubmitResult } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { Pop3Session } from '../../src/adapters/pop3/session.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { EventOf, SignalboxEvent } from '../../src/domain/events/index.js';
import { unfinishedClaims } from '../../src/domain/location/unfinished-claims.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { readBody } from '../../src/workers/message-body.js';
import { createSubmit, receivedAt } from '../../src/workers/receiver/submit.js';
import { startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { MemoryEventStore } from '../support/memory-event-store.js';
import { staticSecrets } from '../support/secrets.js';
import { tempDir } from '../support/temp-dir.js';
import { bodyBytes } from '../contract/adapter-support.js';
import { eventually } from './support/engine.js';
import { startMailEngine, type MailEngine } from './pop3-engine.js';

const PASSWORD = 'pop3-integration-secret';
const secrets = staticSecrets({ 'pop3-password': PASSWORD });
const dir = tempDir('pop3-receive');
const servers: DovecotTestServer[] = [];
const engines: MailEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});
afterAll(() => dir.cleanup());

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function dovecot(lockSession = false): Promise<DovecotTestServer> {
  const server = await startDovecot({ password: PASSWORD, lockSession, label: 'pop3-int' });
  servers.push(server);
  return server;
}

function location(server: DovecotTestServer, extra: Record<string, unknown> = {}) {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: { secret: 'pop3-password' },
    pollIntervalMs: 100,
    timeoutMs: 5_000,
    ...extra,
  };
}

/** A mail as an MTA would store it: every line ending CRLF (nodemailer's stream output keeps a bare LF in 7bit text). */
async function compose(options: SendMailOptions): Promise<Buffer> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(options);
  return Buffer.from((info.message as Buffer).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

const attachment = randomBytes(50_000);
const richMail = () =>
  compose({
    from: '"Order Desk" <orders@example.com>',
    to: 'alice@example.com, bob@example.com',
    cc: 'audit@example.com',
    replyTo: 'replies@example.com',
    subject: 'Bestellung Nr. 42 – ünïcode',
    messageId: '<order-42@example.com>',
    date: new Date('2026-11-20T10:00:00Z'),
    text: 'Line one\n.starts with a dot\n..two dots\nlast line\n',
    html: '<p>Line one</p>',
    attachments: [
      { filename: 'order.bin', content: attachment, contentType: 'application/octet-stream' },
      { filename: 'order.xml', content: '<order id="42"/>', contentType: 'application/xml' },
    ],
  });

function handler(config: Record<string, unknown>, name = 'mail-in'): ReceiveHandler {
  const registry = defaultRegistry();
  return registry.get('pop3').receive!.create(registry.receiveConfig('pop3', config, 'config'), {
    name,
    receivePort: 'mail',
    secrets,
  });
}

/** A location log kept in memory, folded with the same domain function as the engine's. */
class MemoryLocationLog implements LocationLog {
  readonly events: SignalboxEvent[] = [];
  readonly term = 1;
  failClaimAt: number | undefined;

  async unfinished() {
    return unfinishedClaims(this.events);
  }

  record: LocationLog['record'] = async (type, data) => {
    if (type === 'MailClaimed' && this.claims().length + 1 === this.failClaimAt) {
      this.failClaimAt = undefined;
      throw new Error('deposed (the test stops this holder here)');
    }
    this.events.push({ type, data } as unknown as SignalboxEvent);
  };

  claims() {
    return this.events.filter((e): e is EventOf<'MailClaimed'> => e.type === 'MailClaimed');
  }

  completions() {
    return this.events.filter((e) => e.type === 'MailCompleted');
  }
}

describe('POP3 receive through the engine (real Dovecot)', () => {
  it('maps headers to POP3 properties, the text to the body, the rest to parts; claims and completes on the fenced location stream', async () => {
    const server = await dovecot();
    const raw = await richMail();
    server.deliver(raw);
    const engine = await startMailEngine(
      join(dir.path, 'engine-1'),
      {
        receiveLocations: [
          {
            name: 'mail-in',
            receivePort: 'mail',
            adapter: 'pop3',
            config: location(server, { singleActive: 'always' }),
          },
        ],
        sendPorts: [
          {
            name: 'orders',
            adapter: 'file',
            config: { folder: join(dir.path, 'out-1'), createFolder: true },
            filter: "POP3.From == 'orders@example.com' and POP3.MessageID == '<order-42@example.com>'",
          },
        ],
      },
      secrets,
    );
    engines.push(engine);
    const received = await eventually(async () => {
      const events = await engine.events('message-');
      return events.find((e) => e.type === 'MessageReceived');
    });
    await eventually(() => server.count() === 0);
    if (received.type !== 'MessageReceived') throw new Error('not a receipt');
    const data = received.data;
    expect(data.routing.sendPorts).toEqual(['orders']);
    expect(data.context.promoted).toMatchObject({
      'POP3.From': 'orders@example.com',
      'POP3.To': 'alice@example.com, bob@example.com',
      'POP3.Cc': 'audit@example.com',
      'POP3.Subject': 'Bestellung Nr. 42 – ünïcode',
      'POP3.MessageID': '<order-42@example.com>',
    });
    expect(data.context.written).toMatchObject({
      'POP3.ReplyTo': 'replies@example.com',
      'POP3.Date': '2026-11-20T10:00:00.000Z',
      'POP3.Mailbox': `alice@127.0.0.1:${server.port}`,
      'POP3.Size': raw.length,
      'POP3.AttachmentCount': 2,
      'POP3.Decoded': true,
    });
    expect(data.sourceKey).toBe(`pop3:alice@127.0.0.1:${server.port}:${String(data.context.written['POP3.Uidl'])}`);
    expect(data.contentType).toBe('text/plain; charset=utf-8');
    const blobs = await LocalBlobStore.open(join(dir.path, 'engine-1', 'blobs'));
    // Byte-stuffed lines (`.starts…` travels as `..starts…`) arrive as they were written.
    expect((await readBody(data.body, blobs)).toString()).toBe('Line one\n.starts with a dot\n..two dots\nlast line\n');
    const parts = data.parts ?? [];
    expect(parts.map((p) => [p.name, p.contentType])).toEqual([
      ['html', 'text/html; charset=utf-8'],
      ['order.bin', 'application/octet-stream'],
      ['order.xml', 'application/xml'],
    ]);
    expect(sha(await readBody(parts[1]!.body, blobs))).toBe(sha(attachment));
    expect((await readBody(parts[2]!.body, blobs)).toString()).toBe('<order id="42"/>');

    // MailCompleted follows the QUIT that emptied the mailbox.
    const log = await eventually(async () => {
      const events = await engine.events('location-mail-in');
      return events.some((e) => e.type === 'MailCompleted') ? events : undefined;
    });
    const types = log.map((e) => e.type);
    expect(types.filter((t) => t.startsWith('Mail'))).toEqual(['MailClaimed', 'MailCompleted']);
    const claim = log.find((e) => e.type === 'MailClaimed')!;
    expect((claim.data as { messageId: string }).messageId).toBe(data.messageId);
  }, 60_000);

  /**
   * Eight mails; a first holder claims, receives and DELEs five, then loses its lease as it claims
   * the sixth: its session ends without QUIT, so the server keeps all eight.
   */
  async function crashBetweenDeleAndQuit(label: string) {
    const server = await dovecot();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.concat([Buffer.from(`mail ${i}:`), randomBytes(2_000)]));
    for (const [i, body] of bodies.entries()) {
      server.deliver(
        await compose({
          from: 'p@example.com',
          to: 'alice@example.com',
          subject: `m${i}`,
          messageId: `<m${i}@example.com>`,
          attachments: [{ filename: 'b.bin', content: body }],
        }),
      );
    }
    const store = new MemoryEventStore();
    const blobs = await LocalBlobStore.open(join(dir.path, `blobs-${label}`));
    const submit = createSubmit({
      store,
      blobs,
      location: { name: 'mail-in', receivePort: 'mail', adapter: 'pop3' },
      routing: () => ({ subscriptions: [], enabledPorts: new Set() }),
      actor: 'test',
    });
    const outcomes: SubmitResult[] = [];
    const recording = async (message: InboundMessage) => {
      const result = await submit(message);
      outcomes.push(result);
      return result;
    };
    const log = new MemoryLocationLog();
    log.failClaimAt = 6;
    const config = location(server, { singleActive: 'always', maxMailsPerSession: 100 });
    const first = new AbortController();
    const crashed = await handler(config)
      .run({ signal: first.signal, submit: recording, log })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(String(crashed)).toContain('deposed');
    expect(outcomes.map((o) => o.status)).toEqual(Array<string>(5).fill('suspended'));
    expect(server.count()).toBe(8);
    expect(log.completions()).toHaveLength(0);
    expect(await log.unfinished()).toHaveLength(5);

    /** Runs the next holder until the mailbox is empty and every claim completed. */
    const next = async (isReceived?: (sourceKey: string) => Promise<boolean>) => {
      const second = new AbortController();
      const running = handler(config).run({
        signal: second.signal,
        submit: recording,
        log,
        ...(isReceived ? { isReceived } : {}),
      });
      await eventually(() => server.count() === 0 && log.completions().length === 8);
      second.abort();
      await running;
      expect(await log.unfinished()).toEqual([]);
      expect(log.claims()).toHaveLength(8);
      // Each mail is in the store once, its body intact.
      const received: Buffer[] = [];
      for await (const event of store.readAll()) {
        if (event.type === 'MessageReceived') received.push(await readBody(event.data.body, blobs));
      }
      expect(received.map(sha).sort()).toEqual(bodies.map(sha).sort());
    };
    /** RETRs the server counted, from its logouts and disconnects (`retr=N/bytes`). */
    const retrieved = () => [...server.log().matchAll(/retr=(\d+)\//g)].reduce((n, m) => n + Number(m[1]), 0);
    return { store, outcomes, next, retrieved };
  }

  it('a crash between DELE and QUIT: the mails come back, the next holder finishes the open claims, each is a duplicate', async () => {
    const crash = await crashBetweenDeleAndQuit('crash');
    // The next holder: the five open claims first (duplicates now), then the three others.
    await crash.next();
    expect(crash.outcomes.slice(5).map((o) => o.status)).toEqual([
      ...Array<string>(5).fill('duplicate'),
      ...Array<string>(3).fill('suspended'),
    ]);
  }, 60_000);

  it('with the engine’s receipt check, the next holder deletes the five it finds recorded without downloading them again', async () => {
    const crash = await crashBetweenDeleAndQuit('crash-known');
    await crash.next(receivedAt(crash.store, 'mail-in'));
    // Only the three new mails reached submit.
    expect(crash.outcomes.slice(5).map((o) => o.status)).toEqual(Array<string>(3).fill('suspended'));
    // Five RETRs in the first session, three in the next: not 13.
    await eventually(() => crash.retrieved() >= 8);
    expect(crash.retrieved()).toBe(8);
  }, 60_000);

  it('a claim whose mail is gone (QUIT done, completion not written) is completed without receiving anything', async () => {
    const server = await dovecot();
    const log = new MemoryLocationLog();
    log.events.push({
      type: 'MailClaimed',
      data: { location: 'mail-in', uidl: 'no-longer-there', messageId: 'a'.repeat(32) },
    } as unknown as SignalboxEvent);
    const submitted: InboundMessage[] = [];
    const controller = new AbortController();
    const running = handler(location(server, { singleActive: 'always' })).run({
      signal: controller.signal,
      submit: async (m) => {
        submitted.push(m);
        return { status: 'received', messageIds: ['x'] };
      },
      log,
    });
    await eventually(async () => (await log.unfinished()).length === 0);
    controller.abort();
    await running;
    expect(submitted).toEqual([]);
    expect(log.completions()).toHaveLength(1);
  }, 60_000);

  it('a mail larger than maxDecodeBytes is streamed whole, undecoded, with its headers as properties', async () => {
    const server = await dovecot();
    const big = randomBytes(3 * 1024 * 1024);
    const raw = await compose({
      from: 'big@example.com',
      to: 'alice@example.com',
      subject: 'large',
      messageId: '<large@example.com>',
      text: '.a line that starts with a dot\n',
      attachments: [{ filename: 'big.bin', content: big }],
    });
    server.deliver(raw);
    const received: { message: InboundMessage; body: Buffer }[] = [];
    const controller = new AbortController();
    const running = handler(location(server, { singleActive: 'never', maxDecodeBytes: 1024 * 1024 })).run({
      signal: controller.signal,
      submit: async (message) => {
        received.push({ message, body: await bodyBytes(message.body) });
        return { status: 'received', messageIds: ['x'] };
      },
    });
    await eventually(() => received.length === 1 && server.count() === 0, 30_000);
    controller.abort();
    await running;
    const [{ message, body }] = received as [{ message: InboundMessage; body: Buffer }];
    expect(message.body instanceof Uint8Array).toBe(false);
    expect(message.contentType).toBe('message/rfc822');
    expect(message.context?.promoted).toMatchObject({ 'POP3.From': 'big@example.com', 'POP3.Subject': 'large' });
    expect(message.context?.written).toMatchObject({ 'POP3.Decoded': false });
    // The mail as it was delivered, byte for byte: stuffing removed, the end marker not included.
    expect(sha(body)).toBe(sha(raw));
  }, 60_000);

  it('a mail that is not MIME at all (no headers, binary junk) is still received, not dropped or stuck', async () => {
    const server = await dovecot();
    const junk = Buffer.concat([randomBytes(5_000), Buffer.from('\r\n')]);
    server.deliver(junk);
    server.deliver(await compose({ from: 'after@example.com', to: 'a@example.com', subject: 'after', text: 'x\n' }));
    const received: InboundMessage[] = [];
    const controller = new AbortController();
    const running = handler(location(server, { singleActive: 'never' })).run({
      signal: controller.signal,
      submit: async (message) => {
        received.push(message);
        return { status: 'received', messageIds: ['x'] };
      },
    });
    await eventually(() => received.length === 2 && server.count() === 0);
    controller.abort();
    await running;
    expect(received.map((m) => m.context?.promoted?.['POP3.Subject'])).toContain('after');
    expect(received.every((m) => typeof m.context?.written?.['POP3.Uidl'] === 'string')).toBe(true);
  }, 60_000);

  it('a refused password is a PermanentAdapterError that does not quote the password', async () => {
    const server = await dovecot();
    const registry = defaultRegistry();
    const wrong = registry
      .get('pop3')
      .receive!.create(registry.receiveConfig('pop3', location(server, { singleActive: 'never' }), 'config'), {
        name: 'mail-in',
        receivePort: 'mail',
        secrets: staticSecrets({ 'pop3-password': 'not-the-password' }),
      });
    const error = await wrong
      .run({ signal: new AbortController().signal, submit: () => Promise.reject(new Error('no mail expected')) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(PermanentAdapterError);
    expect((error as PermanentAdapterError).code).toBe('POP3_AUTH_FAILED');
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain('not-the-password');
  }, 60_000);

  it('refuses a plain-text password in the settings, naming the field', () => {
    const registry = defaultRegistry();
    expect(() =>
      registry.receiveConfig('pop3', { host: '127.0.0.1', user: 'a', password: 'plain' }, 'receiveLocations.0.config'),
    ).toThrow(/receiveLocations\.0\.config\.password/);
    const side = registry.get('pop3').receive!;
    const parse = (extra: Record<string, unknown>) =>
      registry.receiveConfig('pop3', { host: 'h', user: 'u', password: { secret: 's' }, ...extra }, 'c') as never;
    const decide = side.singleActive as (c: never) => boolean;
    expect(decide(parse({}))).toBe(true);
    expect(decide(parse({ serverLocksMailbox: true }))).toBe(false);
    expect(decide(parse({ singleActive: 'always', serverLocksMailbox: true }))).toBe(true);
    expect(decide(parse({ singleActive: 'never' }))).toBe(false);
  });
});

describe('POP3 sessions side by side (Dovecot allows it)', () => {
  it('a RETR of a mail another session expunged is refused, and the session goes on', async () => {
    const server = await dovecot();
    for (let i = 0; i < 3; i++) {
      server.deliver(await compose({ from: 'p@example.com', to: 'a@example.com', subject: `s${i}`, text: `t${i}\n` }));
    }
    const open = () =>
      Pop3Session.open({
        host: server.host,
        port: server.port,
        tls: false,
        rejectUnauthorized: true,
        user: server.user,
        password: PASSWORD,
        timeoutMs: 5_000,
      });
    const a = await open();
    const listing = await a.list();
    expect(listing).toHaveLength(3);
    const b = await open();
    await b.delete(1);
    await b.quit();
    const refused = await a.retrieve(1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TransientAdapterError);
    expect((refused as TransientAdapterError).code).toBe('POP3_REFUSED');
    const second = await bodyBytes(await a.retrieve(2));
    expect(second.toString()).toContain('Subject: s1');
    await a.quit();
    expect(server.count()).toBe(2);
  }, 60_000);
});
