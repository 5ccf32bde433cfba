import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocationLog, ReceiveHandler, SendHandler } from '../../src/adapters/adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { MqConnection } from '../../src/adapters/mq/client.js';
import {
  MQGMO_NO_SYNCPOINT,
  MQGMO_WAIT,
  MQIA_CURRENT_Q_DEPTH,
  MQMO_MATCH_CORREL_ID,
  MQOO_INPUT_AS_Q_DEF,
  MQOO_INQUIRE,
  MQOO_OUTPUT,
  MQPMO_NO_SYNCPOINT,
} from '../../src/adapters/mq/constants.js';
import { buildHeaders, parseHeaders } from '../../src/adapters/mq/headers/chain.js';
import type { MqMd } from '../../src/adapters/mq/md.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import type { EventData } from '../../src/domain/events/index.js';
import type { LocationClaim } from '../../src/domain/location/unfinished-claims.js';
import { outbound, ReceiverRunner, Recorder, waitFor } from '../contract/adapter-support.js';
import type { SimulatorAdmin } from '../support/mqi-simulator.js';

/** Where the MQ adapter suite runs: the MQI simulator, or a real queue manager. */
export interface MqTarget {
  readonly name: string;
  /** Settings every location and port in the suite gets (client, queueManager, conn, channel, user, password). */
  readonly connection: Record<string, unknown>;
  readonly secrets: SecretResolver;
  /** A raw MQ connection, for putting, getting and looking, as another application would. */
  raw(): Promise<MqConnection>;
  /** An empty local queue for one test. */
  freshQueue(): Promise<string>;
  /** Whether the target is the simulator, whose admin calls define objects and inject faults. */
  readonly simulator: boolean;
  /** Only with the simulator (read once the suite runs). */
  readonly admin?: SimulatorAdmin;
}

const registry = defaultRegistry();

export function mqAdapterSuite(target: MqTarget): void {
  describe(`MQ adapter (${target.name})`, () => {
    const runners: ReceiverRunner[] = [];
    const senders: SendHandler[] = [];
    const raws: MqConnection[] = [];

    afterEach(async () => {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
      await Promise.all(senders.splice(0).map((s) => s.close()));
      await Promise.all(raws.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    });

    const receiver = (config: Record<string, unknown>): ReceiveHandler =>
      registry
        .get('mq')
        .receive!.create(
          registry.receiveConfig(
            'mq',
            { ...target.connection, waitIntervalMs: 200, retryDelayMs: 20, ...config },
            'config',
          ),
          { name: 'mq-suite', receivePort: 'mq-suite', secrets: target.secrets },
        );
    const sender = (config: Record<string, unknown>): SendHandler => {
      const handler = registry
        .get('mq')
        .send!.create(registry.sendConfig('mq', { ...target.connection, ...config }, 'config'), {
          name: 'mq-port',
          secrets: target.secrets,
        });
      senders.push(handler);
      return handler;
    };
    const run = (handler: ReceiveHandler, recorder: Recorder, log?: LocationLog) => {
      const runner = new ReceiverRunner(handler, recorder.submitFor(0), 50);
      if (log) {
        // ReceiverRunner has no log; run this handler the way the runtime runs a single-active one.
        const controller = new AbortController();
        const done = handler.run({ signal: controller.signal, submit: recorder.submitFor(0), log });
        runners.push({ stop: async () => (controller.abort(), await done) } as unknown as ReceiverRunner);
        return runner;
      }
      runners.push(runner.start());
      return runner;
    };
    const raw = async () => {
      const connection = await target.raw();
      raws.push(connection);
      return connection;
    };
    const put = async (queue: string, body: string | Buffer, md: Partial<MqMd> = {}) => {
      const c = await raw();
      const handle = await c.open({ name: queue }, MQOO_OUTPUT);
      return c.put(handle, { Format: 'MQSTR   ', ...md }, { options: MQPMO_NO_SYNCPOINT }, Buffer.from(body));
    };
    const depth = async (queue: string) => {
      const c = await raw();
      const handle = await c.open({ name: queue }, MQOO_INQUIRE);
      return (await c.inquire(handle, [MQIA_CURRENT_Q_DEPTH])).get(MQIA_CURRENT_Q_DEPTH);
    };
    const takeAll = async (queue: string) => {
      const c = await raw();
      const handle = await c.open({ name: queue }, MQOO_INPUT_AS_Q_DEF);
      const out: { md: MqMd; body: Buffer }[] = [];
      for (;;) {
        try {
          out.push(await c.get(handle, {}, { options: MQGMO_NO_SYNCPOINT }));
        } catch {
          return out;
        }
      }
    };
    const signal = () => new AbortController().signal;
    const hex = (b: Buffer) => b.toString('hex').toUpperCase();

    it('receives under syncpoint: a failed submit backs the message out (same source key, BackoutCount 1), then it is committed', async () => {
      const queue = await target.freshQueue();
      const sent = await put(queue, 'first try fails');
      const recorder = new Recorder();
      recorder.behaviour = (_r, deliveries) => (deliveries === 1 ? 'throw' : undefined);
      run(receiver({ queue }), recorder);
      await waitFor(() => recorder.received.length === 1, 'the redelivery');
      const [failed, received] = [recorder.failed[0]!, recorder.received[0]!];
      expect(failed.message.sourceKey).toBe(hex(sent.MsgId));
      expect(received.message.sourceKey).toBe(hex(sent.MsgId));
      expect(failed.message.context?.promoted?.['MQMD.BackoutCount']).toBe(0);
      expect(received.message.context?.promoted?.['MQMD.BackoutCount']).toBe(1);
      await waitFor(async () => (await depth(queue)) === 0, 'the commit');
    });

    it('commits a message that submit reports as a duplicate (a redelivery after a crash)', async () => {
      const queue = await target.freshQueue();
      await put(queue, 'seen before');
      const recorder = new Recorder();
      recorder.behaviour = () => 'duplicate';
      run(receiver({ queue }), recorder);
      await waitFor(() => recorder.received.length === 1, 'the message');
      await waitFor(async () => (await depth(queue)) === 0, 'the commit');
      await sleep(300);
      expect(recorder.received).toHaveLength(1);
    });

    it('maps MQMD fields and MQRFH2/MQCIH headers to context properties, handing on only the data', async () => {
      const queue = await target.freshQueue();
      const data = Buffer.from('<order id="7"/>');
      const built = buildHeaders(
        [
          { type: 'MQRFH2', values: {}, folders: { usr: { Region: 'eu' }, mcd: { Msd: 'xml' } } },
          { type: 'MQCIH', values: { TransactionId: 'ORD1', Authenticator: 'pw123' } },
        ],
        data,
        'MQSTR   ',
        0x222,
        1208,
      );
      const correl = Buffer.alloc(24, 0xcd);
      const sent = await put(queue, built.body, {
        Format: built.format,
        CorrelId: correl,
        ReplyToQ: 'REPLY.Q',
        Priority: 3,
        MsgType: 1,
      });
      const recorder = new Recorder();
      run(receiver({ queue }), recorder);
      await waitFor(() => recorder.received.length === 1, 'the message');
      const { body, message } = recorder.received[0]!;
      expect(body.equals(data)).toBe(true);
      const { promoted, written } = message.context!;
      expect(promoted).toMatchObject({
        'MQMD.MsgId': hex(sent.MsgId),
        'MQMD.CorrelId': hex(correl),
        'MQMD.ReplyToQ': 'REPLY.Q',
        'MQMD.Priority': 3,
        'MQMD.MsgType': 1,
        'MQMD.Format': 'MQHRF2',
        'MQRFH2.usr.Region': 'eu',
        'MQ.Queue': queue,
      });
      expect(written).toMatchObject({
        'MQRFH2.mcd.Msd': 'xml',
        'MQCIH.TransactionId': 'ORD1',
        'MQCIH.Format': 'MQSTR',
      });
      expect(JSON.stringify(message.context)).not.toContain('pw123');
    });

    it('receives selectively by MatchOptions from the location, and by new ones set at run time', async () => {
      const queue = await target.freshQueue();
      const [a, b] = [Buffer.alloc(24, 0x0a), Buffer.alloc(24, 0x0b)];
      await put(queue, 'for a', { CorrelId: a });
      await put(queue, 'for b', { CorrelId: b });
      const recorder = new Recorder();
      const handler = receiver({ queue, match: { correlId: hex(b) } });
      run(handler, recorder);
      await waitFor(() => recorder.received.length === 1, 'the matching message');
      expect(recorder.received[0]!.body.toString()).toBe('for b');
      await sleep(500);
      expect(recorder.received).toHaveLength(1);
      (handler as unknown as { setMatch(m: unknown): void }).setMatch({ correlId: hex(a) });
      await waitFor(() => recorder.received.length === 2, 'the message matching the new MatchOptions');
      expect(recorder.received[1]!.body.toString()).toBe('for a');
    });

    it('sends with MQMD fields and headers from the context, and a MsgId that is the same on every retry', async () => {
      const queue = await target.freshQueue();
      const port = sender({ queue, persistence: 'persistent' });
      const context = {
        promoted: { 'MQMD.CorrelId': 'C0FFEE', 'MQMD.Priority': 6, 'MQRFH2.usr.Region': 'us' },
        written: { 'MQMD.ReplyToQ': 'ANSWERS', 'MQCIH.TransactionId': 'TRN9', 'MQMD.BackoutCount': 4 },
      };
      const first = await port.send(outbound(Buffer.from('payload'), { messageId: 'm-42', context }), signal());
      const retry = await port.send(
        outbound(Buffer.from('payload'), { messageId: 'm-42', attempt: 2, context }),
        signal(),
      );
      expect(first.properties?.['MQMD.MsgId']).toBe(retry.properties?.['MQMD.MsgId']);
      expect(first.address).toMatch(new RegExp(`/${queue.replace(/\./g, '\\.')}$`));
      const [got] = await takeAll(queue);
      expect(hex(got!.md.MsgId)).toBe(first.properties?.['MQMD.MsgId']);
      expect(hex(got!.md.CorrelId)).toBe('C0FFEE' + '00'.repeat(21));
      expect(got!.md.Priority).toBe(6);
      expect(got!.md.Persistence).toBe(1);
      expect(got!.md.ReplyToQ.trim()).toBe('ANSWERS');
      expect(got!.md.BackoutCount).toBe(0);
      const parsed = parseHeaders(got!.md.Format, got!.md.Encoding, got!.md.CodedCharSetId, got!.body);
      expect(parsed.headers.map((h) => h.type)).toEqual(['MQRFH2', 'MQCIH']);
      expect(parsed.headers[1]!.values.TransactionId).toBe('TRN9');
      expect(parsed.data.toString()).toBe('payload');
    });

    it('answers a request on its ReplyToQ with the request MsgId as CorrelId, and does request-reply itself', async () => {
      const requests = await target.freshQueue();
      const replies = await target.freshQueue();
      // A responder another application runs: takes each request, answers on its ReplyToQ.
      const responder = await raw();
      const inbox = await responder.open({ name: requests }, MQOO_INPUT_AS_Q_DEF);
      const answering = (async () => {
        const request = await responder.get(
          inbox,
          {},
          { options: MQGMO_WAIT | MQGMO_NO_SYNCPOINT, waitInterval: 10_000 },
        );
        const out = await responder.open({ name: request.md.ReplyToQ.trim() }, MQOO_OUTPUT);
        await responder.put(
          out,
          { CorrelId: request.md.MsgId, Format: 'MQSTR   ' },
          { options: 0 },
          Buffer.from(`re: ${request.body.toString()}`),
        );
        return request;
      })();
      const port = sender({ queue: requests, requestReply: { replyQueue: replies, timeoutMs: 10_000 } });
      const outcome = await port.send(outbound(Buffer.from('ping'), { messageId: 'req-1' }), signal());
      const request = await answering;
      expect(request.md.MsgType).toBe(1);
      expect(outcome.response && Buffer.from(outcome.response.body as Uint8Array).toString()).toBe('re: ping');
      expect(outcome.response?.context?.promoted?.['MQMD.CorrelId']).toBe(hex(request.md.MsgId));

      // The other side of the same exchange: a reply port answering a received request.
      const replyPort = sender({ toReplyQueue: true, correlId: 'requestMsgId' });
      const msgId = Buffer.alloc(24, 0x77);
      await replyPort.send(
        outbound(Buffer.from('answer'), {
          context: { promoted: { 'MQMD.MsgId': hex(msgId), 'MQMD.ReplyToQ': replies }, written: {} },
        }),
        signal(),
      );
      const c = await raw();
      const replyQ = await c.open({ name: replies }, MQOO_INPUT_AS_Q_DEF);
      const reply = await c.get(
        replyQ,
        { CorrelId: msgId },
        { options: MQGMO_NO_SYNCPOINT, matchOptions: MQMO_MATCH_CORREL_ID },
      );
      expect(reply.body.toString()).toBe('answer');
    });

    it('refuses to send to an unknown queue with a permanent error naming the reason (2085)', async () => {
      const port = sender({ queue: 'NO.SUCH.QUEUE.ANYWHERE' });
      const error = await port.send(outbound(Buffer.from('x')), signal()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentAdapterError);
      expect((error as PermanentAdapterError).code).toBe('MQ_UNKNOWN_OBJECT_NAME');
      expect((error as Error).message).toContain('2085');
    });

    it('receives in order under a lease: claims each message before submitting it, completes it before MQCMIT', async () => {
      const queue = await target.freshQueue();
      for (let i = 0; i < 10; i++) await put(queue, `ordered-${i}`);
      const recorded: { type: string; data: EventData<'QueueMessageClaimed'> }[] = [];
      const log: LocationLog = {
        term: 1,
        unfinished: async () => [] as LocationClaim[],
        record: async (type, data) => {
          recorded.push({ type, data: data as EventData<'QueueMessageClaimed'> });
        },
      };
      const recorder = new Recorder();
      run(receiver({ queue, ordered: true }), recorder, log);
      await waitFor(() => recorder.received.length === 10, 'every message');
      expect(recorder.received.map((r) => r.body.toString())).toEqual(
        Array.from({ length: 10 }, (_, i) => `ordered-${i}`),
      );
      expect(recorded.map((r) => r.type)).toEqual(
        Array.from({ length: 10 }, () => ['QueueMessageClaimed', 'QueueMessageCompleted']).flat(),
      );
      expect(recorded[0]!.data.sourceId).toBe(recorder.received[0]!.message.sourceKey);
    });

    describe('objects and faults (simulator only)', () => {
      const onlySimulator = target.simulator ? it : it.skip;
      // Read when a test runs: the simulator is started by the spec's beforeAll, after this is declared.
      const admin = new Proxy({} as SimulatorAdmin, {
        get: (_, name: keyof SimulatorAdmin) => target.admin![name],
      });

      onlySimulator(
        'sends to alias, remote-definition, model and other-queue-manager queues; receives from a transmission queue',
        async () => {
          const base = await target.freshQueue();
          await admin.define({ name: `${base}.ALIAS`, type: 'alias', target: base });
          await admin.define({ name: 'QM2', type: 'local', usage: 'transmission' });
          await admin.define({
            name: `${base}.REMOTE`,
            type: 'remote',
            remoteName: 'ORDERS',
            remoteQueueManager: 'QM2',
          });
          await admin.define({ name: `${base}.MODEL`, type: 'model', definitionType: 'permanent' });
          await sender({ queue: `${base}.ALIAS` }).send(outbound(Buffer.from('alias')), signal());
          expect((await takeAll(base)).map((m) => m.body.toString())).toEqual(['alias']);
          const remote = await sender({ queue: `${base}.REMOTE` }).send(outbound(Buffer.from('remote')), signal());
          expect(remote.address).toBe('mq://QM2/' + `${base}.REMOTE`);
          await sender({ queue: 'INVOICES', remoteQueueManager: 'QM2' }).send(
            outbound(Buffer.from('by qmgr')),
            signal(),
          );
          const dynamic = await sender({ queue: `${base}.MODEL`, dynamicQueueName: 'APP.DYN.*' }).send(
            outbound(Buffer.from('dyn')),
            signal(),
          );
          const dynamicName = dynamic.properties?.['MQ.DynamicQueueName'] as string;
          expect(dynamicName).toMatch(/^APP\.DYN\./);
          expect((await takeAll(dynamicName)).map((m) => m.body.toString())).toEqual(['dyn']);

          // What waits on the transmission queue, received with its MQXQH as context.
          const recorder = new Recorder();
          run(receiver({ queue: 'QM2' }), recorder);
          await waitFor(() => recorder.received.length === 2, 'both messages on the transmission queue');
          const byQueue = new Map(
            recorder.received.map((r) => [String(r.message.context!.written!['MQXQH.RemoteQName']), r] as const),
          );
          expect(byQueue.get('ORDERS')!.body.toString()).toBe('remote');
          expect(byQueue.get('INVOICES')!.body.toString()).toBe('by qmgr');
          expect(byQueue.get('ORDERS')!.message.context!.written!['MQXQH.RemoteQMgrName']).toBe('QM2');
          expect(byQueue.get('ORDERS')!.message.context!.written!['MQXQH.MsgDesc.Format']).toBe('MQSTR');
        },
      );

      onlySimulator('puts to a transmission queue behind an MQXQH made from the context', async () => {
        await admin.define({ name: 'XMIT.OUT', type: 'local', usage: 'transmission' });
        await takeAll('XMIT.OUT');
        await sender({ queue: 'XMIT.OUT', transmissionHeader: true }).send(
          outbound(Buffer.from('forwarded'), {
            context: {
              promoted: {},
              written: {
                'MQXQH.RemoteQName': 'FINAL.Q',
                'MQXQH.RemoteQMgrName': 'QM9',
                'MQXQH.MsgDesc.ApplIdentityData': 'orig-app',
              },
            },
          }),
          signal(),
        );
        const [got] = await takeAll('XMIT.OUT');
        const parsed = parseHeaders(got!.md.Format, got!.md.Encoding, got!.md.CodedCharSetId, got!.body);
        expect(parsed.headers[0]).toMatchObject({
          type: 'MQXQH',
          values: { RemoteQName: 'FINAL.Q', RemoteQMgrName: 'QM9' },
        });
        expect(parsed.data.toString()).toBe('forwarded');
      });

      onlySimulator(
        'a transactional send whose put fails leaves nothing on the queue; a full queue is retryable (2053)',
        async () => {
          const queue = await target.freshQueue();
          await admin.define({ name: queue, type: 'local', maxDepth: 1 });
          const port = sender({ queue });
          await port.send(outbound(Buffer.from('fits')), signal());
          const error = await port.send(outbound(Buffer.from('does not')), signal()).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(TransientAdapterError);
          expect((error as TransientAdapterError).code).toBe('MQ_Q_FULL');
          expect((await takeAll(queue)).map((m) => m.body.toString())).toEqual(['fits']);
        },
      );

      onlySimulator(
        're-makes a connection broken mid-MQGET (2009): the message comes again, received once',
        async () => {
          const queue = await target.freshQueue();
          await put(queue, 'survives');
          await admin.breakOnGet(queue);
          const recorder = new Recorder();
          const runner = run(receiver({ queue }), recorder);
          await waitFor(() => recorder.received.length === 1, 'the message after the reconnect');
          expect(runner.transient.map((e) => e.code)).toContain('MQ_CONNECTION_BROKEN');
          expect(recorder.received[0]!.message.context!.promoted!['MQMD.BackoutCount']).toBe(1);
          await waitFor(async () => (await depth(queue)) === 0, 'the commit');
        },
      );

      onlySimulator(
        'sends fail retryably while the queue manager is down (2059) and work again once it is up',
        async () => {
          const queue = await target.freshQueue();
          const port = sender({ queue, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
          await port.send(outbound(Buffer.from('before')), signal());
          await admin.down('immediate');
          const during = await port.send(outbound(Buffer.from('during')), signal()).catch((e: unknown) => e);
          expect(during).toBeInstanceOf(TransientAdapterError);
          const again = await port.send(outbound(Buffer.from('during')), signal()).catch((e: unknown) => e);
          expect((again as TransientAdapterError).code).toBe('MQ_Q_MGR_NOT_AVAILABLE');
          await admin.up();
          await port.send(outbound(Buffer.from('after')), signal());
          expect((await takeAll(queue)).map((m) => m.body.toString())).toEqual(['before', 'after']);
        },
      );

      onlySimulator('sends to a dynamic address mq://QMGR/QUEUE?conn=…', async () => {
        const queue = await target.freshQueue();
        const conn = String(target.connection.conn);
        const address = `mq://${String(target.connection.queueManager)}/${queue}?channel=DEV.APP.SVRCONN&conn=${conn}&client=simulator`;
        const { adapter, config } = registry.forAddress(address);
        const port = adapter.send!.create(config, { name: 'dynamic', secrets: target.secrets });
        senders.push(port);
        await port.send(outbound(Buffer.from('dynamic')), signal());
        expect((await takeAll(queue)).map((m) => m.body.toString())).toEqual(['dynamic']);
      });
    });
  });
}
