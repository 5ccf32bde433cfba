import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compileSubscriptions } from '../../src/domain/routing/route.js';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { resumeMessage, terminateMessage } from '../../src/workers/operations.js';
import { resubmitter } from '../../src/workers/resubmit.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('flow');
afterAll(() => root.cleanup());
let engine: TestEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

let n = 0;
function folders() {
  const dir = join(root.path, `case${n++}`);
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  mkdirSync(inbox, { recursive: true });
  return { dir, inbox, outbox };
}

function bindings(
  f: ReturnType<typeof folders>,
  overrides: {
    filter?: string;
    pipeline?: unknown[];
    port?: Record<string, unknown>;
    send?: Record<string, unknown>;
  } = {},
) {
  return {
    receiveLocations: [
      {
        name: 'inbox',
        receivePort: 'orders',
        adapter: 'file',
        config: { folder: f.inbox, mask: '*', pollIntervalMs: 50 },
        ...(overrides.pipeline ? { pipeline: overrides.pipeline } : {}),
      },
    ],
    sendPorts: [
      {
        name: 'outbox',
        adapter: 'file',
        config: { folder: f.outbox, fileName: '%SourceFileName%', createFolder: true, ...overrides.send },
        filter: overrides.filter ?? "BTS.ReceivePortName == 'orders'",
        retry: { count: 1, intervalMs: 100 },
        ...overrides.port,
      },
    ],
  };
}

const types = (events: { type: string }[]) => events.map((e) => e.type);

/** The message's events, once the latest of them is `MessageSent`. */
const untilSent = (messageId: string) =>
  eventually(async () => {
    const all = await engine!.store.readStream(`message-${messageId}`);
    return all.at(-1)?.type === 'MessageSent' && all;
  });

describe('message flow on the embedded engine (SQLite store, embedded queue, File adapter)', () => {
  it('a file dropped into the inbox is routed by its filter and written to the outbox, every step an event', async () => {
    const f = folders();
    engine = await startTestEngine(f.dir, bindings(f));
    writeFileSync(join(f.inbox, 'order-1.xml'), '<order id="1"/>');
    const written = await eventually(
      () => existsSync(join(f.outbox, 'order-1.xml')) && readFileSync(join(f.outbox, 'order-1.xml'), 'utf8'),
    );
    expect(written).toBe('<order id="1"/>');
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSent') && all;
    });
    expect(types(events)).toEqual(['MessageReceived', 'SendClaimed', 'MessageSent']);
    expect(events[0]).toMatchObject({
      data: {
        receiveLocation: 'inbox',
        routing: { sendPorts: ['outbox'], subscriptions: ['outbox'] },
        context: { promoted: { 'BTS.ReceivePortName': 'orders', 'FILE.ReceivedFileName': 'order-1.xml' } },
      },
    });
    expect(events[2]!.data).toMatchObject({ port: 'outbox', attempt: 1, transport: 'primary' });
    expect(readdirSync(f.inbox)).toEqual([]);
  });

  it('an unroutable message is suspended, and routed again on resume once the configuration matches', async () => {
    const f = folders();
    engine = await startTestEngine(f.dir, bindings(f, { filter: "BTS.ReceivePortName == 'invoices'" }));
    writeFileSync(join(f.inbox, 'stray.txt'), 'nobody wants me');
    const suspended = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    });
    expect(types(suspended)).toEqual(['MessageReceived', 'MessageUnroutable', 'MessageSuspended']);
    const messageId = (suspended[0]!.data as { messageId: string }).messageId;
    expect(existsSync(join(f.outbox, 'stray.txt'))).toBe(false);

    await engine.stop();
    engine = await startTestEngine(f.dir, bindings(f), 'second');
    const decision = await resumeMessage(
      engine.store,
      { messageId, actor: 'user:alice' },
      () => engine!.runtime.liveRouting,
    );
    expect(decision.ok).toBe(true);
    await eventually(() => existsSync(join(f.outbox, 'stray.txt')));
    // the file is written before the send is recorded
    const after = await untilSent(messageId);
    expect(types(after).slice(3)).toEqual(['MessageResumed', 'SendClaimed', 'MessageSent']);
    expect(after[3]!.metadata.actor).toBe('user:alice');
  });

  it('a send that keeps failing is retried, then suspended; resumed after the fix it is sent', async () => {
    const f = folders();
    engine = await startTestEngine(f.dir, bindings(f, { send: { createFolder: false } }));
    writeFileSync(join(f.inbox, 'late.json'), '{"late":true}');
    const failed = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    });
    expect(types(failed)).toEqual([
      'MessageReceived',
      'SendClaimed',
      'SendFailed',
      'SendClaimed',
      'SendFailed',
      'MessageSuspended',
    ]);
    expect(failed[2]!.data).toMatchObject({ attempt: 1, nextRetryAt: expect.any(String) as unknown });
    expect(failed[5]!.data).toMatchObject({ port: 'outbox', stage: 'send' });
    const messageId = (failed[0]!.data as { messageId: string }).messageId;

    mkdirSync(f.outbox);
    expect(
      (
        await resumeMessage(
          engine.store,
          { messageId, port: 'outbox', actor: 'user:bob' },
          () => engine!.runtime.liveRouting,
        )
      ).ok,
    ).toBe(true);
    await eventually(() => existsSync(join(f.outbox, 'late.json')));
    const sent = await untilSent(messageId);
    expect(sent.at(-1)!.data).toMatchObject({ attempt: 3 });
  });

  it('a suspended send can be terminated instead, and then stays where it is', async () => {
    const f = folders();
    engine = await startTestEngine(f.dir, bindings(f, { send: { createFolder: false } }));
    writeFileSync(join(f.inbox, 'doomed.txt'), 'x');
    const failed = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    });
    const messageId = (failed[0]!.data as { messageId: string }).messageId;
    expect((await terminateMessage(engine.store, { messageId, port: 'outbox', actor: 'user:carol' })).ok).toBe(true);
    expect(
      (
        await resumeMessage(
          engine.store,
          { messageId, port: 'outbox', actor: 'user:carol' },
          () => engine!.runtime.liveRouting,
        )
      ).ok,
    ).toBe(false);
  });

  it('a message failing its pipeline is suspended with the reason, its body kept', async () => {
    const f = folders();
    const schema = { type: 'object', required: ['orderId'] };
    engine = await startTestEngine(f.dir, bindings(f, { pipeline: [{ component: 'json-validate', schema }] }));
    writeFileSync(join(f.inbox, 'bad.json'), '{"customer":"acme"}');
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSuspended') && all;
    });
    expect(types(events)).toEqual(['MessageReceived', 'MessageSuspended']);
    expect(events[0]!.data).toMatchObject({
      body: { kind: 'inline', content: '{"customer":"acme"}' },
      routing: { sendPorts: [] },
    });
    expect(events[1]!.data).toMatchObject({ stage: 'receive', reason: { code: 'JSON_SCHEMA_MISMATCH' } });
  });

  it('resuming a message that failed its pipeline resubmits it through the pipeline live now; a body that fails again is refused', async () => {
    const f = folders();
    const strict = [{ component: 'json-validate', schema: { type: 'object', required: ['orderId'] } }];
    engine = await startTestEngine(f.dir, bindings(f, { pipeline: strict }));
    writeFileSync(join(f.inbox, 'order.json'), '{"customer":"acme"}');
    const suspended = await eventually(async () =>
      (await engine!.messageEvents()).find((e) => e.type === 'MessageSuspended'),
    );
    const original = (suspended.data as { messageId: string }).messageId;
    let pipeline: unknown[] = strict;
    const resubmit = resubmitter({
      store: engine.store,
      blobs: engine.blobs,
      pipelineOf: (location) => (location === 'inbox' ? (pipeline as PipelineStep[]) : undefined),
      routing: () => engine!.runtime.liveRouting,
    });
    const resume = () =>
      resumeMessage(
        engine!.store,
        { messageId: original, actor: 'user:dora', note: 'schema fixed' },
        () => engine!.runtime.liveRouting,
        resubmit,
      );

    // Under the same pipeline it fails again: refused with the pipeline's reason, nothing written.
    const refused = await resume();
    expect(refused).toMatchObject({ ok: false, code: 'NOT_RESUMABLE' });
    expect(!refused.ok && refused.reason).toMatch(/PIPELINE_FAILED: JSON_SCHEMA_MISMATCH/);
    expect(types(await engine.store.readStream(`message-${original}`))).toEqual([
      'MessageReceived',
      'MessageSuspended',
    ]);
    // Without the engine's pipelines there is no resuming it as it is: routing it would skip the check.
    expect(
      await resumeMessage(engine.store, { messageId: original, actor: 'user:dora' }, () => engine!.runtime.liveRouting),
    ).toMatchObject({ ok: false, code: 'NOT_RESUMABLE' });

    pipeline = [{ component: 'json-validate', schema: { type: 'object', required: ['customer'] } }];
    expect((await resume()).ok).toBe(true);
    const ended = await engine.store.readStream(`message-${original}`);
    expect(ended.at(-1)).toMatchObject({ type: 'MessageTerminated', metadata: { actor: 'user:dora' } });
    const [copy] = (ended.at(-1)!.data as { resubmittedAs: string[] }).resubmittedAs;
    await eventually(() => existsSync(join(f.outbox, 'order.json')));
    const copyEvents = await untilSent(copy!);
    expect(copyEvents[0]!.data).toMatchObject({
      sourceKey: `resubmit:${original}`,
      body: { content: '{"customer":"acme"}' },
      context: { written: { 'BTS.MessageID': copy } },
      routing: { sendPorts: ['outbox'] },
    });
    expect(readFileSync(join(f.outbox, 'order.json'), 'utf8')).toBe('{"customer":"acme"}');
    // A second resume finds nothing suspended, and receives nothing twice.
    expect(await resume()).toMatchObject({ ok: false, code: 'NOT_SUSPENDED' });
    const receipts = (await engine.messageEvents()).filter((e) => e.type === 'MessageReceived');
    expect(receipts).toHaveLength(2);
  });

  it('a batch is split into messages that are promoted, routed and sent one by one', async () => {
    const f = folders();
    engine = await startTestEngine(
      f.dir,
      bindings(f, {
        pipeline: [
          { component: 'split', path: '/orders' },
          { component: 'promote', properties: { 'APP.Region': '/region' } },
        ],
        filter: "APP.Region == 'eu'",
        send: { fileName: '%MessageID%.json' },
      }),
    );
    writeFileSync(
      join(f.inbox, 'batch.json'),
      JSON.stringify({
        orders: [
          { id: 1, region: 'eu' },
          { id: 2, region: 'us' },
          { id: 3, region: 'eu' },
        ],
      }),
    );
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return (
        all.filter((e) => e.type === 'MessageSent').length === 2 &&
        all.some((e) => e.type === 'MessageSuspended') &&
        all
      );
    });
    const received = events.filter((e) => e.type === 'MessageReceived');
    expect(received.map((e) => (e.data as { batch?: { index: number; count: number } }).batch)).toEqual([
      expect.objectContaining({ index: 0, count: 3 }),
      expect.objectContaining({ index: 1, count: 3 }),
      expect.objectContaining({ index: 2, count: 3 }),
    ]);
    const outputs = writtenFiles(f.outbox).map(
      (name) => JSON.parse(readFileSync(join(f.outbox, name), 'utf8')) as { id: number },
    );
    expect(outputs.map((o) => o.id).sort()).toEqual([1, 3]);
  });

  it('an ordered port sends in the order messages were received', async () => {
    const f = folders();
    engine = await startTestEngine(
      f.dir,
      bindings(f, { port: { ordered: { onFailure: 'stop' } }, send: { fileName: 'journal.log', ifExists: 'append' } }),
    );
    for (let i = 0; i < 30; i++) writeFileSync(join(f.inbox, `line-${String(i).padStart(2, '0')}.txt`), `${i}\n`);
    const journal = join(f.outbox, 'journal.log');
    await eventually(
      () => existsSync(journal) && readFileSync(journal, 'utf8').split('\n').filter(Boolean).length === 30,
    );
    const enqueued = (await engine.store.readStream('port-outbox')).filter((e) => e.type === 'MessageEnqueued');
    const receivedBody = new Map(
      (await engine.messageEvents())
        .filter((e) => e.type === 'MessageReceived')
        .map((e) => {
          const data = e.data as { messageId: string; body: { content: string } };
          return [data.messageId, data.body.content.trim()];
        }),
    );
    const expected = enqueued.map((e) => receivedBody.get((e.data as { messageId: string }).messageId));
    expect(readFileSync(journal, 'utf8').split('\n').filter(Boolean)).toEqual(expected);
    expect(enqueued.map((e) => (e.data as { sequence: number }).sequence)).toEqual([...Array(30).keys()]);
  });

  it('order with suspend goes on past a failing send; resumed, the message it passed is sent with no failover', async () => {
    const f = folders();
    engine = await startTestEngine(
      f.dir,
      bindings(f, { port: { ordered: { onFailure: 'suspend' } }, send: { createFolder: false } }),
    );
    writeFileSync(join(f.inbox, 'first.txt'), '1');
    const suspended = await eventually(async () =>
      (await engine!.messageEvents()).find((e) => e.type === 'MessageSuspended'),
    );
    const messageId = (suspended.data as { messageId: string }).messageId;
    mkdirSync(f.outbox);
    writeFileSync(join(f.inbox, 'second.txt'), '2');
    await eventually(() => existsSync(join(f.outbox, 'second.txt')));
    expect(existsSync(join(f.outbox, 'first.txt'))).toBe(false);

    const resumed = await resumeMessage(
      engine.store,
      { messageId, port: 'outbox', actor: 'user:bob' },
      () => engine!.runtime.liveRouting,
    );
    expect(resumed.ok).toBe(true);
    await eventually(() => existsSync(join(f.outbox, 'first.txt')));
    const events = await untilSent(messageId);
    expect(types(events).slice(-3)).toEqual(['MessageResumed', 'SendClaimed', 'MessageSent']);
  });

  it('a dynamic send port sends where the message says (BTS.OutboundTransportLocation)', async () => {
    const f = folders();
    const target = join(f.dir, 'elsewhere');
    mkdirSync(target);
    engine = await startTestEngine(f.dir, {
      receiveLocations: [
        {
          name: 'inbox',
          receivePort: 'orders',
          adapter: 'file',
          config: { folder: f.inbox, mask: '*', pollIntervalMs: 50 },
          pipeline: [{ component: 'promote', properties: { 'BTS.OutboundTransportLocation': '/deliverTo' } }],
        },
      ],
      sendPorts: [{ name: 'anywhere', dynamic: true, filter: "BTS.ReceivePortName == 'orders'" }],
    });
    writeFileSync(join(f.inbox, 'routed.json'), JSON.stringify({ deliverTo: `file://${target}/%MessageID%.json` }));
    const name = await eventually(() => writtenFiles(target)[0]);
    // the file is written before the send is recorded
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSent') && all;
    });
    const messageId = (events[0]!.data as { messageId: string }).messageId;
    expect(name).toBe(`${messageId}.json`);
    expect(events.find((e) => e.type === 'MessageSent')!.data).toMatchObject({
      port: 'anywhere',
      transport: 'primary',
    });
  });

  it('when the primary transport gives up, the backup transport delivers', async () => {
    const f = folders();
    const backup = join(f.dir, 'backup');
    engine = await startTestEngine(
      f.dir,
      bindings(f, {
        send: { createFolder: false },
        port: {
          backup: { adapter: 'file', config: { folder: backup, fileName: '%SourceFileName%', createFolder: true } },
        },
      }),
    );
    writeFileSync(join(f.inbox, 'important.txt'), 'deliver me somehow');
    await eventually(() => existsSync(join(backup, 'important.txt')));
    const events = await eventually(async () => {
      const all = await engine!.messageEvents();
      return all.some((e) => e.type === 'MessageSent') && all;
    });
    expect(types(events)).toEqual([
      'MessageReceived',
      'SendClaimed',
      'SendFailed',
      'SendClaimed',
      'SendFailed',
      'SendClaimed',
      'MessageSent',
    ]);
    expect(events[4]!.data).toMatchObject({ transport: 'primary', nextTransport: 'backup' });
    expect(events[6]!.data).toMatchObject({ transport: 'backup', attempt: 3 });
    expect(readFileSync(join(backup, 'important.txt'), 'utf8')).toBe('deliver me somehow');
  });

  it('refuses a bindings filter that does not parse, naming its subscription', () => {
    expect(() =>
      compileSubscriptions([{ name: 'x', sendPort: 'p', filter: 'BTS.ReceivePortName ==', enabled: true }]),
    ).toThrow(/subscription "x"/);
  });
});
