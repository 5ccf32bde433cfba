import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resumeMessage } from '../../src/workers/operations.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('correlation');
afterAll(() => root.cleanup());
let engine: TestEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

let n = 0;
function setup(timeoutMs: number) {
  const dir = join(root.path, `case${n++}`);
  const f = {
    dir,
    inbox: join(dir, 'inbox'),
    requests: join(dir, 'requests'),
    replies: join(dir, 'replies'),
    done: join(dir, 'done'),
  };
  for (const folder of [f.inbox, f.requests, f.replies, f.done]) mkdirSync(folder, { recursive: true });
  const bindings = {
    receiveLocations: [
      {
        name: 'orders-in',
        receivePort: 'orders',
        adapter: 'file',
        config: { folder: f.inbox, mask: '*', pollIntervalMs: 50 },
      },
      {
        name: 'replies-in',
        receivePort: 'replies',
        adapter: 'file',
        config: { folder: f.replies, mask: '*', pollIntervalMs: 50 },
        pipeline: [{ component: 'promote', properties: { 'APP.OrderKey': '/orderKey' } }],
        follows: { set: 'orders', property: 'APP.OrderKey' },
      },
    ],
    sendPorts: [
      {
        name: 'requests',
        adapter: 'file',
        config: { folder: f.requests, fileName: '%MessageID%.json', ifExists: 'overwrite' },
        filter: "BTS.ReceivePortName == 'orders'",
        correlation: { set: 'orders', property: 'APP.OrderKey', keySource: 'engine', timeoutMs },
      },
      {
        name: 'completed',
        adapter: 'file',
        config: { folder: f.done, fileName: '%MessageID%.json' },
        filter: "BTS.CorrelationSet == 'orders'",
      },
    ],
  };
  return { f, bindings };
}

describe('correlation: a reply finds its request', () => {
  it('a reply carrying the key the request started is routed to the waiting flow, both linked by events', async () => {
    const { f, bindings } = setup(60_000);
    engine = await startTestEngine(f.dir, bindings);
    writeFileSync(join(f.inbox, 'po.json'), '{"po":7}');
    const requestFile = await eventually(() => writtenFiles(f.requests)[0]);
    const requestId = requestFile.replace(/\.json$/, '');
    const started = await eventually(async () => {
      const events = await engine!.store.readStream(`correlation-orders-${requestId}`);
      return events.length > 0 && events;
    });
    expect(started[0]).toMatchObject({
      type: 'CorrelationInitialized',
      data: { set: 'orders', key: requestId, messageId: requestId, port: 'requests', keySource: 'engine' },
    });

    writeFileSync(join(f.replies, 'answer.json'), JSON.stringify({ orderKey: requestId, status: 'shipped' }));
    const doneFile = await eventually(() => writtenFiles(f.done)[0]);
    expect(JSON.parse(readFileSync(join(f.done, doneFile), 'utf8'))).toEqual({
      orderKey: requestId,
      status: 'shipped',
    });
    const replyId = doneFile.replace(/\.json$/, '');
    const conversation = await engine.store.readStream(`correlation-orders-${requestId}`);
    expect(conversation.map((e) => e.type)).toEqual(['CorrelationInitialized', 'CorrelationFollowed']);
    expect(conversation[1]!.data).toMatchObject({ messageId: replyId, requestMessageId: requestId });
    const [reply] = await engine.store.readStream(`message-${replyId}`);
    expect(reply!.data).toMatchObject({
      context: { promoted: { 'BTS.CorrelationSet': 'orders', 'BTS.RequestMessageID': requestId } },
      routing: { sendPorts: ['completed'] },
    });
  });

  it('a reply that does not come in time suspends the request; a resume sends it again', async () => {
    const { f, bindings } = setup(300);
    engine = await startTestEngine(f.dir, bindings);
    writeFileSync(join(f.inbox, 'po.json'), '{"po":8}');
    const requestFile = await eventually(() => writtenFiles(f.requests)[0]);
    const requestId = requestFile.replace(/\.json$/, '');
    const suspended = await eventually(async () => {
      const events = await engine!.store.readStream(`message-${requestId}`);
      return events.some((e) => e.type === 'MessageSuspended') && events;
    });
    expect(suspended.map((e) => e.type)).toEqual(['MessageReceived', 'SendClaimed', 'MessageSent', 'MessageSuspended']);
    expect(suspended[3]!.data).toMatchObject({
      port: 'requests',
      stage: 'correlation',
      reason: { code: 'CORRELATION_TIMEOUT' },
      nextAttempt: 2,
    });

    const decision = await resumeMessage(
      engine.store,
      { messageId: requestId, port: 'requests', actor: 'user:dora' },
      () => engine!.runtime.liveRouting,
    );
    expect(decision.ok).toBe(true);
    const resent = await eventually(async () => {
      const events = await engine!.store.readStream(`message-${requestId}`);
      return events.filter((e) => e.type === 'MessageSent').length === 2 && events;
    });
    expect(resent.filter((e) => e.type === 'MessageSent').map((e) => (e.data as { attempt: number }).attempt)).toEqual([
      1, 2,
    ]);
    expect(existsSync(join(f.requests, requestFile))).toBe(true);
  });
});
