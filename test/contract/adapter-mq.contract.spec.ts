import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { MQOO_OUTPUT } from '../../src/adapters/mq/constants.js';
import { SimulatorMqClient } from '../../src/adapters/mq/simulator/socket-client.js';
import { freePort } from '../support/nats-server.js';
import { startMqiSimulator, type MqiSimulatorProcess } from '../support/mqi-simulator.js';
import { adapterContract } from './adapter.contract.js';

let sim: MqiSimulatorProcess;
let closedPort: number;
let fixtures = 0;

beforeAll(async () => {
  sim = await startMqiSimulator('CONTRACT');
  closedPort = await freePort();
});
afterAll(async () => {
  await sim?.stop();
});

/** Quick reconnects and short waits: the suite takes the simulator down and wants the adapter back within a second. */
const fast = { reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 500 };

adapterContract('mq (MQI simulator)', {
  adapter: 'mq',
  redelivery: true,
  restart: { midStream: true },
  largeBodyBytes: 1024 * 1024,
  async open() {
    const queue = `CONTRACT.${++fixtures}`;
    await sim.admin.define({ name: queue, type: 'local' });
    const connection = {
      ...fast,
      client: 'simulator',
      queueManager: sim.queueManager,
      conn: sim.conn,
      channel: 'DEV.APP.SVRCONN',
    };
    return {
      receiveConfig: { ...connection, queue, waitIntervalMs: 200, retryDelayMs: 50 },
      sendConfig: { ...connection, queue },
      remaining: async () => (await sim.admin.queue(queue)).depth,
      async inject(bodies) {
        const producer = await new SimulatorMqClient().connect({
          queueManager: sim.queueManager,
          connection: sim.conn,
        });
        const handle = await producer.open({ name: queue }, MQOO_OUTPUT);
        for (const body of bodies) await producer.put(handle, { Format: 'MQSTR   ' }, { options: 0 }, body);
        await producer.disconnect();
      },
      async restartServer() {
        await sim.admin.down('immediate');
        await sleep(300);
        await sim.admin.up();
      },
      cleanup: async () => undefined,
    };
  },
  unreachable: () => {
    const connection = { ...fast, client: 'simulator', queueManager: 'NONE', conn: `127.0.0.1(${closedPort})` };
    return { receiveConfig: { ...connection, queue: 'ANY.Q' }, sendConfig: { ...connection, queue: 'ANY.Q' } };
  },
});
