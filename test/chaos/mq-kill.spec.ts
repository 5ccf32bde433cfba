import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQOO_OUTPUT } from '../../src/adapters/mq/constants.js';
import { SimulatorMqClient } from '../../src/adapters/mq/simulator/socket-client.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { startTestEngine } from '../integration/support/engine.js';
import { startMqiSimulator, type MqiSimulatorProcess } from '../support/mqi-simulator.js';
import { tempDir } from '../support/temp-dir.js';

/*
 * Worker processes receiving transactionally from the MQI simulator are killed with SIGKILL while
 * they hold a message got under syncpoint and not yet committed (the simulator shows it in the
 * queue's depth but not among its committed messages). The simulator backs each one out when the
 * worker's connection drops; the next worker takes it again. At the end every message put is in
 * the store exactly once: 0 lost, 0 received twice.
 */

const MESSAGES = 400;
const ROUNDS = 25;
const QUEUE = 'CHAOS.IN';
const CHILD = fileURLToPath(new URL('../integration/support/engine-child.ts', import.meta.url));

let sim: MqiSimulatorProcess;
const dir = tempDir('mq-kill');
const children = new Set<ChildProcess>();

beforeAll(async () => {
  sim = await startMqiSimulator('CHAOS', [{ name: QUEUE, type: 'local' }]);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await sim?.stop();
  dir.cleanup();
});

const bindings = () => ({
  receiveLocations: [
    {
      name: 'mq-in',
      receivePort: 'mq',
      adapter: 'mq',
      config: {
        client: 'simulator',
        queueManager: 'CHAOS',
        conn: sim.conn,
        channel: 'DEV.APP.SVRCONN',
        queue: QUEUE,
        waitIntervalMs: 200,
        reconnectInitialDelayMs: 50,
      },
    },
  ],
  sendPorts: [],
});

async function startWorker(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir.path, JSON.stringify(bindings()), name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker ${name} exited before it was ready (${code})`)));
  });
  return child;
}

async function receivedSourceKeys(): Promise<string[]> {
  const store = new SqliteEventStore(join(dir.path, 'signalbox.db'));
  try {
    const keys: string[] = [];
    for await (const event of store.readAll({ filter: { streamPrefixes: ['message-'] } })) {
      if (event.type === 'MessageReceived') keys.push(event.data.sourceKey ?? '(none)');
    }
    return keys;
  } finally {
    await store.close();
  }
}

describe('MQ receive under kill -9 between MQGET and MQCMIT', () => {
  it(`loses nothing and receives nothing twice over ${ROUNDS} SIGKILLs`, async () => {
    const producer = await new SimulatorMqClient().connect({ queueManager: 'CHAOS', connection: sim.conn });
    const queue = await producer.open({ name: QUEUE }, MQOO_OUTPUT);
    const put = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const md = await producer.put(queue, { Format: 'MQSTR   ' }, { options: 0 }, Buffer.from(`order ${i}`));
      put.add(md.MsgId.toString('hex').toUpperCase());
    }
    await producer.disconnect();

    let killsHoldingMessage = 0;
    let killsAfterAppend = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const child = await startWorker(`w${round}`);
      // Wait until it holds a message under syncpoint (got, not committed), then kill it a random
      // few milliseconds later: before its append, after it, or while it holds the next one.
      // It first takes a few messages (a random number), so the kill finds it warmed up.
      const before = await sim.admin.queue(QUEUE);
      const warm = before.committed - 1 - Math.floor(Math.random() * 12);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const info = await sim.admin.queue(QUEUE);
        if ((info.committed <= warm && info.depth > info.committed) || info.depth === 0) break;
      }
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      // Once the simulator sees the connection drop, the message held is back: depth equals committed.
      let after = await sim.admin.queue(QUEUE);
      for (let i = 0; i < 250 && after.depth !== after.committed; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = await sim.admin.queue(QUEUE);
      }
      expect(after.depth).toBe(after.committed);
      if (after.backedOut > before.backedOut) killsHoldingMessage++;
      // More receipts in the store than messages gone from the queue: the worker had appended
      // MessageReceived and died before MQCMIT; the redelivery must come out a duplicate.
      const stored = await receivedSourceKeys();
      if (stored.length > MESSAGES - after.committed) killsAfterAppend++;
      if (after.committed === 0) break;
    }

    // A last worker, in this process, drains the queue.
    const survivor = await startTestEngine(dir.path, bindings(), 'survivor');
    try {
      const deadline = Date.now() + 60_000;
      while ((await sim.admin.queue(QUEUE)).depth > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      // Let the last commit land.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await survivor.stop();
    }
    expect((await sim.admin.queue(QUEUE)).depth).toBe(0);

    const keys = await receivedSourceKeys();
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    const lost = [...put].filter((key) => !counts.has(key));
    const twice = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
    const unknown = [...counts.keys()].filter((key) => !put.has(key));
    console.log(
      `mq kill -9: ${ROUNDS} rounds, ${killsHoldingMessage} kills while a message was got and uncommitted, ` +
        `${killsAfterAppend} of them after MessageReceived was appended; ${MESSAGES} put, ${keys.length} received, ` +
        `${lost.length} lost, ${twice.length} received twice`,
    );
    expect(lost).toEqual([]);
    expect(twice).toEqual([]);
    expect(unknown).toEqual([]);
    expect(keys).toHaveLength(MESSAGES);
    // The kills must really have hit the window, or the test proves nothing.
    expect(killsHoldingMessage).toBeGreaterThanOrEqual(ROUNDS / 2);
    expect(killsAfterAppend).toBeGreaterThan(0);
  }, 600_000);
});
