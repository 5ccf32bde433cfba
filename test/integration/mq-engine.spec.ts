import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqConnection } from '../../src/adapters/mq/client.js';
import { MQGMO_NO_SYNCPOINT, MQGMO_WAIT, MQOO_INPUT_AS_Q_DEF, MQOO_OUTPUT } from '../../src/adapters/mq/constants.js';
import { SimulatorMqClient } from '../../src/adapters/mq/simulator/socket-client.js';
import { startMqiSimulator, type MqiSimulatorProcess } from '../support/mqi-simulator.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

/* The MQ adapter inside a whole engine (SQLite store, embedded queue), against the MQI simulator. */

let sim: MqiSimulatorProcess;
const dir = tempDir('mq-engine');
const engines: TestEngine[] = [];
const raws: MqConnection[] = [];
let n = 0;

beforeAll(async () => {
  sim = await startMqiSimulator('ENGINE', [
    { name: 'ORDERS.IN', type: 'local' },
    { name: 'LEDGER.OUT', type: 'local' },
    { name: 'SERVICE.REQ', type: 'local' },
    { name: 'SERVICE.REPLY', type: 'local' },
  ]);
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await Promise.all(raws.splice(0).map((c) => c.disconnect().catch(() => undefined)));
});
afterAll(async () => {
  await sim?.stop();
  dir.cleanup();
});

const connection = () => ({ client: 'simulator', queueManager: 'ENGINE', conn: sim.conn, channel: 'DEV.APP.SVRCONN' });
const raw = async () => {
  const c = await new SimulatorMqClient().connect({ queueManager: 'ENGINE', connection: sim.conn });
  raws.push(c);
  return c;
};

describe('MQ adapter in the engine', () => {
  it('routes a message received from a queue by its MQMD properties, and sends one to a queue', async () => {
    const root = join(dir.path, `flow-${++n}`);
    const outbox = join(root, 'outbox');
    const inbox = join(root, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const engine = await startTestEngine(join(root, 'data'), {
      receiveLocations: [
        {
          name: 'mq-in',
          receivePort: 'mq-orders',
          adapter: 'mq',
          config: { ...connection(), queue: 'ORDERS.IN', waitIntervalMs: 200 },
        },
        {
          name: 'files-in',
          receivePort: 'file-orders',
          adapter: 'file',
          config: { folder: inbox, pollIntervalMs: 50 },
        },
      ],
      sendPorts: [
        {
          name: 'urgent-files',
          adapter: 'file',
          filter: "MQMD.Priority >= 5 and MQ.Queue == 'ORDERS.IN'",
          config: { folder: outbox, fileName: '%MessageID%.xml', createFolder: true },
        },
        {
          name: 'ledger-mq',
          adapter: 'mq',
          filter: "BTS.ReceivePortName == 'file-orders'",
          config: { ...connection(), queue: 'LEDGER.OUT' },
        },
      ],
    });
    engines.push(engine);
    const c = await raw();
    const orders = await c.open({ name: 'ORDERS.IN' }, MQOO_OUTPUT);
    await c.put(orders, { Priority: 7, Format: 'MQSTR   ' }, { options: 0 }, Buffer.from('<urgent/>'));
    await c.put(orders, { Priority: 1, Format: 'MQSTR   ' }, { options: 0 }, Buffer.from('<routine/>'));
    const files = await eventually(() => {
      const list = writtenFiles(outbox);
      return list.length === 1 && list;
    });
    expect(readFileSync(join(outbox, files[0]!), 'utf8')).toBe('<urgent/>');
    // Both were received (the routine one is unroutable: no port's filter matched it).
    await eventually(
      async () => (await engine.messageEvents()).filter((e) => e.type === 'MessageUnroutable').length === 1,
    );

    writeFileSync(join(inbox, 'order.xml'), '<order id="9"/>');
    const ledger = await c.open({ name: 'LEDGER.OUT' }, MQOO_INPUT_AS_Q_DEF);
    const sent = await c.get(ledger, {}, { options: MQGMO_WAIT | MQGMO_NO_SYNCPOINT, waitInterval: 15_000 });
    expect(sent.body.toString()).toBe('<order id="9"/>');
    const done = await eventually(async () =>
      (await engine.messageEvents()).find((e) => e.type === 'MessageSent' && e.data.port === 'ledger-mq'),
    );
    expect(done.type === 'MessageSent' && done.data.address).toBe('mq://ENGINE/LEDGER.OUT');
  });

  it('receives the reply of an MQ request-reply send as a new message correlated to the request', async () => {
    const root = join(dir.path, `rr-${++n}`);
    const inbox = join(root, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const engine = await startTestEngine(join(root, 'data'), {
      receiveLocations: [
        { name: 'files-in', receivePort: 'requests', adapter: 'file', config: { folder: inbox, pollIntervalMs: 50 } },
      ],
      sendPorts: [
        {
          name: 'service',
          adapter: 'mq',
          filter: "BTS.ReceivePortName == 'requests'",
          config: {
            ...connection(),
            queue: 'SERVICE.REQ',
            requestReply: { replyQueue: 'SERVICE.REPLY', timeoutMs: 15_000 },
          },
        },
      ],
    });
    engines.push(engine);
    const service = await raw();
    const requests = await service.open({ name: 'SERVICE.REQ' }, MQOO_INPUT_AS_Q_DEF);
    writeFileSync(join(inbox, 'ask.xml'), '<ask/>');
    const request = await service.get(requests, {}, { options: MQGMO_WAIT | MQGMO_NO_SYNCPOINT, waitInterval: 15_000 });
    const replies = await service.open({ name: request.md.ReplyToQ.trim() }, MQOO_OUTPUT);
    await service.put(
      replies,
      { CorrelId: request.md.MsgId, Format: 'MQSTR   ' },
      { options: 0 },
      Buffer.from('<answer/>'),
    );
    const reply = await eventually(async () =>
      (await engine.messageEvents()).find(
        (e) => e.type === 'MessageReceived' && e.data.receiveLocation === 'service.response',
      ),
    );
    expect(reply.type === 'MessageReceived' && reply.data.context.promoted['MQMD.CorrelId']).toBe(
      request.md.MsgId.toString('hex').toUpperCase(),
    );
  });
});
