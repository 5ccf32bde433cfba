import { describe, it } from 'vitest';
import { IbmMqClient } from '../../src/adapters/mq/ibmmq-client.js';
import {
  MQGMO_NO_SYNCPOINT,
  MQIA_CURRENT_Q_DEPTH,
  MQOO_INPUT_AS_Q_DEF,
  MQOO_INQUIRE,
  MQOO_OUTPUT,
} from '../../src/adapters/mq/constants.js';
import { adapterContract } from './adapter.contract.js';

/*
 * The adapter contract suite against a real queue manager (IBM's developer container, say), when
 * MQ_QMGR, MQ_CHANNEL and MQ_CONN are set. The contract suite builds handlers without a secret
 * store, so it runs only against a channel that takes the connection without a password
 * (MQ_PASSWORD unset); test/integration/mq-adapter-real.spec.ts covers credentials.
 */
const { MQ_QMGR, MQ_CHANNEL, MQ_CONN, MQ_USER, MQ_PASSWORD, MQ_QUEUES } = process.env;

if (!(MQ_QMGR && MQ_CHANNEL && MQ_CONN) || MQ_PASSWORD) {
  describe('adapter contract: mq (real queue manager)', () => {
    it.skip(
      MQ_PASSWORD
        ? 'skipped: MQ_PASSWORD is set, and the contract suite has no secret store (mq-adapter-real.spec.ts runs with it)'
        : 'skipped: set MQ_QMGR, MQ_CHANNEL and MQ_CONN to run it against a real queue manager',
      () => undefined,
    );
  });
} else {
  const queues = (MQ_QUEUES ?? 'DEV.QUEUE.1,DEV.QUEUE.2,DEV.QUEUE.3').split(',');
  let next = 0;
  const connect = () =>
    new IbmMqClient().connect({
      queueManager: MQ_QMGR,
      channel: MQ_CHANNEL,
      connection: MQ_CONN,
      ...(MQ_USER ? { user: MQ_USER } : {}),
    });
  const connection = {
    client: 'ibmmq',
    queueManager: MQ_QMGR,
    channel: MQ_CHANNEL,
    conn: MQ_CONN,
    ...(MQ_USER ? { user: MQ_USER } : {}),
  };
  adapterContract('mq (real queue manager)', {
    adapter: 'mq',
    redelivery: true,
    restart: { skip: 'the suite cannot restart a real queue manager' },
    largeBodyBytes: 1024 * 1024,
    async open() {
      const queue = queues[next++ % queues.length]!;
      const c = await connect();
      const input = await c.open({ name: queue }, MQOO_INPUT_AS_Q_DEF);
      for (;;) {
        try {
          await c.get(input, {}, { options: MQGMO_NO_SYNCPOINT }, 100 * 1024 * 1024);
        } catch {
          break;
        }
      }
      return {
        receiveConfig: { ...connection, queue, waitIntervalMs: 200, retryDelayMs: 50 },
        sendConfig: { ...connection, queue },
        async remaining() {
          const handle = await c.open({ name: queue }, MQOO_INQUIRE);
          return Number((await c.inquire(handle, [MQIA_CURRENT_Q_DEPTH])).get(MQIA_CURRENT_Q_DEPTH));
        },
        async inject(bodies) {
          const out = await c.open({ name: queue }, MQOO_OUTPUT);
          for (const body of bodies) await c.put(out, { Format: 'MQSTR   ' }, { options: 0 }, body);
        },
        cleanup: () => c.disconnect(),
      };
    },
  });
}
