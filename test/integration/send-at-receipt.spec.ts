import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connect, type Msg, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('send-at-receipt');
let server: NatsTestServer;
let client: NatsConnection;
const engines: TestEngine[] = [];
const children: ChildProcess[] = [];
beforeAll(async () => {
  server = await startNatsServer('send-at-receipt');
  client = await connect({ servers: server.url });
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const engine of engines.splice(0)) await engine.stop();
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
  root.cleanup();
});

let n = 0;
function folders() {
  const dir = join(root.path, `case${n++}`);
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox, { recursive: true });
  return { dir, inbox, outbox: join(dir, 'outbox'), journal: join(dir, 'journal') };
}

const inbox = (folder: string) => ({
  name: 'inbox',
  receivePort: 'orders',
  adapter: 'file',
  config: { folder, mask: '*', pollIntervalMs: 50 },
});

/** A send port that sends as a NATS request, answered (or not) by the test's responder. */
const requestPort = (subject: string, retry = { count: 0, intervalMs: 100 }) => ({
  name: 'slow',
  adapter: 'nats',
  filter: "BTS.ReceivePortName == 'orders'",
  retry,
  config: { servers: server.url, mode: 'core', subject, requestReply: true, timeoutMs: 30_000 },
});

/** Holds every request until released; `answerFrom` on, answers at once. */
function responder(subject: string, answerFrom = Number.POSITIVE_INFINITY) {
  const held: Msg[] = [];
  const seen: string[] = [];
  client.subscribe(subject, {
    callback: (_error, msg) => {
      seen.push(msg.headers?.get('Nats-Msg-Id') ?? '');
      if (seen.length >= answerFrom) msg.respond(msg.data);
      else held.push(msg);
    },
  });
  return {
    seen,
    held,
    releaseAll: () => held.splice(0).forEach((msg) => msg.respond(msg.data)),
  };
}

const byMessage = (events: RecordedEvent[]) => {
  const map = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    if (!event.streamId.startsWith('message-')) continue;
    map.set(event.streamId, [...(map.get(event.streamId) ?? []), event]);
  }
  return map;
};
const sentEvents = (engine: TestEngine, port: string) =>
  engine.messageEvents().then((all) => all.filter((e) => e.type === 'MessageSent' && e.data.port === port));
const workItems = (dir: string) => {
  const db = new Database(join(dir, 'work.db'), { readonly: true });
  try {
    return db.prepare('SELECT dedup_key FROM work').pluck().all() as string[];
  } finally {
    db.close();
  }
};

describe('sending at receipt', () => {
  it('claims a free slot in the MessageReceived append and sends at once, with no work item; never for an ordered port', async () => {
    const f = folders();
    const engine = await startTestEngine(f.dir, {
      receiveLocations: [inbox(f.inbox)],
      sendPorts: [
        {
          name: 'outbox',
          adapter: 'file',
          filter: "BTS.ReceivePortName == 'orders'",
          config: { folder: f.outbox, fileName: '%SourceFileName%', createFolder: true },
        },
        {
          name: 'journal',
          adapter: 'file',
          filter: "BTS.ReceivePortName == 'orders'",
          ordered: { onFailure: 'stop' },
          config: { folder: f.journal, fileName: '%SourceFileName%', createFolder: true },
        },
      ],
    });
    engines.push(engine);
    for (let i = 0; i < 5; i++) writeFileSync(join(f.inbox, `order-${i}.xml`), `<order id="${i}"/>`);
    await eventually(() => writtenFiles(f.outbox).length === 5 && writtenFiles(f.journal).length === 5);
    const streams = await eventually(async () => {
      const map = byMessage(await engine.messageEvents());
      const done = [...map.values()].every((events) => events.filter((e) => e.type === 'MessageSent').length === 2);
      return map.size === 5 && done && map;
    });
    for (const events of streams.values()) {
      const [received, claimed] = events;
      expect(received).toMatchObject({ type: 'MessageReceived', revision: 0n });
      // Written with the receipt, by the receiving worker, for attempt 1 of the unordered port.
      expect(claimed).toMatchObject({ type: 'SendClaimed', revision: 1n, data: { port: 'outbox', attempt: 1 } });
      expect(claimed!.metadata.actor).toBe(received!.metadata.actor);
      expect(claimed!.metadata.causationId).toBeUndefined();
      expect(claimed!.position).toBe(received!.position + 1n);
      // The ordered port's send goes through its lease holder, never at receipt.
      const ordered = events.find((e) => e.type === 'SendClaimed' && e.data.port === 'journal')!;
      expect(ordered.revision).toBeGreaterThan(1n);
      expect(ordered.metadata.causationId).toMatch(/^journal#/);
    }
    // No send went through the work queue.
    expect(workItems(f.dir)).toEqual([]);
  });

  it('with every send slot busy, a message is only received; its work goes through the queue', async () => {
    const f = folders();
    const subject = `slow.${n}`;
    const service = responder(subject);
    const engine = await startTestEngine(
      f.dir,
      { receiveLocations: [inbox(f.inbox)], sendPorts: [requestPort(subject)] },
      'main',
      { sendConcurrency: 1 },
    );
    engines.push(engine);
    writeFileSync(join(f.inbox, 'first.xml'), '<order id="1"/>');
    await eventually(() => service.seen.length === 1);
    // The only slot is taken by a send that is waiting for its reply.
    writeFileSync(join(f.inbox, 'second.xml'), '<order id="2"/>');
    const second = await eventually(async () => {
      const received = (await engine.messageEvents()).filter((e) => e.type === 'MessageReceived');
      return received.length === 2 && received[1]!;
    });
    await new Promise((r) => setTimeout(r, 300));
    // Not claimed with its receipt, and not sent while the slot is busy.
    expect(service.seen).toHaveLength(1);
    expect(workItems(f.dir)).toEqual([`${second.data.messageId}:slow:1`]);
    service.releaseAll();
    await eventually(() => service.seen.length === 2);
    service.releaseAll();
    await eventually(async () => (await sentEvents(engine, 'slow')).length === 2);
    const events = (await engine.messageEvents()).filter((e) => e.streamId === second.streamId);
    expect(events.map((e) => e.type)).toEqual(['MessageReceived', 'SendClaimed', 'MessageSent']);
    // Claimed by the queue's send worker, in an append of its own.
    expect(events[1]!.metadata.causationId).toBe(`${second.data.messageId}:slow:1`);
  });

  it('a claim made at receipt by a worker killed mid-send is found by the reconciler and retried, without using up a retry', async () => {
    const f = folders();
    const subject = `slow.${n}`;
    // The first request is never answered: its worker is killed while it waits. Later ones are.
    const service = responder(subject, 2);
    const bindings = { receiveLocations: [inbox(f.inbox)], sendPorts: [requestPort(subject)] };
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./support/engine-child.ts', import.meta.url)),
        f.dir,
        JSON.stringify(bindings),
        'victim',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the victim exited early (${code})`)));
    });
    writeFileSync(join(f.inbox, 'order.xml'), '<order id="1"/>');
    await eventually(() => service.seen.length === 1);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // Another instance on the same store and queue: it takes the dispatcher lease over, and its
    // reconciler finds the claim once it is older than the stale-claim time (twice the ack wait).
    const survivor = await startTestEngine(f.dir, bindings, 'survivor');
    engines.push(survivor);
    const sent = await eventually(async () => (await sentEvents(survivor, 'slow'))[0], 40_000);
    const events = (await survivor.messageEvents()).filter((e) => e.streamId === sent.streamId);
    expect(events.map((e) => e.type)).toEqual([
      'MessageReceived',
      'SendClaimed',
      'SendFailed',
      'SendClaimed',
      'MessageSent',
    ]);
    const [received, claimed, failed, reclaimed, done] = events;
    expect(claimed).toMatchObject({ revision: 1n, data: { attempt: 1 } });
    expect(claimed!.metadata.actor).toBe(received!.metadata.actor);
    // The port allows no retry, yet the lost attempt is retried: a dead worker uses up none.
    expect(failed).toMatchObject({ data: { attempt: 1, error: { code: 'WORKER_LOST', retryable: true } } });
    expect(failed?.type === 'SendFailed' && typeof failed.data.nextRetryAt).toBe('string');
    expect(failed!.metadata.actor).not.toBe(received!.metadata.actor);
    expect(reclaimed).toMatchObject({ data: { attempt: 2 } });
    expect(reclaimed!.data).not.toMatchObject({ worker: (claimed!.data as { worker: string }).worker });
    expect(done).toMatchObject({ data: { attempt: 2 } });
    // The claim was about 10 s old (twice the test engines' 5 s ack wait) when it was given up.
    expect(failed!.recordedAt.getTime() - claimed!.recordedAt.getTime()).toBeGreaterThanOrEqual(10_000);
    expect(service.seen).toHaveLength(2);
  }, 90_000);
});
