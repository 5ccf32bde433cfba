import { afterAll, beforeAll } from 'vitest';
import { SimulatorMqClient } from '../../src/adapters/mq/simulator/socket-client.js';
import { noSecrets } from '../../src/adapters/secrets.js';
import { startMqiSimulator, type MqiSimulatorProcess } from '../support/mqi-simulator.js';
import { mqAdapterSuite } from './mq-adapter-suite.js';

let sim: MqiSimulatorProcess;
let queues = 0;

beforeAll(async () => {
  sim = await startMqiSimulator('SIMADAPT');
});
afterAll(async () => {
  await sim?.stop();
});

mqAdapterSuite({
  name: 'MQI simulator',
  get connection() {
    return {
      client: 'simulator',
      queueManager: 'SIMADAPT',
      conn: sim.conn,
      channel: 'DEV.APP.SVRCONN',
      reconnectInitialDelayMs: 50,
    };
  },
  secrets: noSecrets,
  simulator: true,
  raw: () => new SimulatorMqClient().connect({ queueManager: 'SIMADAPT', connection: sim.conn }),
  async freshQueue() {
    const name = `SUITE.${++queues}`;
    await sim.admin.define({ name, type: 'local' });
    return name;
  },
  get admin() {
    return sim?.admin;
  },
});
