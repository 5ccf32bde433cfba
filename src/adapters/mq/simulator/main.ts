// The MQI simulator as its own process, for tests and for trying the MQ adapter without IBM MQ:
//   node dist/adapters/mq/simulator/main.js --name SIM1 --port 1414 [--queues queues.json]
// It prints `mqi-simulator listening on 127.0.0.1:<port>` once it accepts connections, and
// keeps everything in memory. It simulates the MQI calls the adapter makes; it is not a queue
// manager.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { QueueDefinition } from './definitions.js';
import { SimulatorServer } from './server.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'SIM1' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    queues: { type: 'string' },
  },
});

const definitions = values.queues
  ? (JSON.parse(readFileSync(values.queues, 'utf8')) as QueueDefinition[])
  : [{ name: 'DEV.QUEUE.1', type: 'local' } as const];
const server = new SimulatorServer({
  queueManagerName: values.name,
  host: values.host,
  port: Number(values.port),
  definitions,
});
const port = await server.listen();
process.stdout.write(`mqi-simulator listening on ${values.host}:${port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
