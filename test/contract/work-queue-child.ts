// A consumer in its own OS process. Mode `hold` takes items, reports each as
// `got KEY DELIVERY_COUNT` and never settles them, so the parent can SIGKILL it while it holds one.
// Mode `ack` works on every item for WORK_MS (the fourth argument), acks it and reports it as
// `acked KEY`, to compete with other processes.
import { openWorkQueue, type OpenWorkQueueOptions } from '../../src/bus/open-work-queue.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { dedupKey } from '../../src/bus/send-work.js';

const [location, optionsJson, mode, workMs] = process.argv.slice(2) as [string, string, 'hold' | 'ack', string?];
const queue = await openWorkQueue(location, JSON.parse(optionsJson) as OpenWorkQueueOptions);
// While it holds its one item the consumer waits on a promise alone; this keeps the process up.
setInterval(() => undefined, 1_000);
process.stdout.write('ready\n');
for await (const delivery of queue.consume({ signal: new AbortController().signal, concurrency: 4 })) {
  const key = dedupKey(delivery.work);
  if (mode === 'hold') {
    process.stdout.write(`got ${key} ${delivery.deliveryCount}\n`);
    continue;
  }
  void sleep(Number(workMs ?? 0))
    .then(() => delivery.ack())
    .then(() => process.stdout.write(`acked ${key}\n`));
}
