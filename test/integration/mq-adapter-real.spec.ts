import { describe, it } from 'vitest';
import { IbmMqClient } from '../../src/adapters/mq/ibmmq-client.js';
import { MQGMO_NO_SYNCPOINT, MQOO_INPUT_AS_Q_DEF } from '../../src/adapters/mq/constants.js';
import { staticSecrets } from '../support/secrets.js';
import { mqAdapterSuite } from './mq-adapter-suite.js';

/*
 * The MQ adapter suite against a real queue manager, e.g. IBM's developer container:
 *   docker run -e LICENSE=accept -e MQ_QMGR_NAME=QM1 -e MQ_APP_PASSWORD=passw0rd -p 1414:1414 icr.io/ibm-messaging/mq
 *   MQ_QMGR=QM1 MQ_CHANNEL=DEV.APP.SVRCONN MQ_CONN='localhost(1414)' MQ_USER=app MQ_PASSWORD=passw0rd \
 *     npx vitest run test/integration/mq-adapter-real.spec.ts
 * It needs IBM's MQ C client on the machine (the `ibmmq` package loads it). MQ_QUEUES names the
 * local queues it may empty and use (default: the container's DEV.QUEUE.1,2,3).
 */
const { MQ_QMGR, MQ_CHANNEL, MQ_CONN, MQ_USER, MQ_PASSWORD, MQ_QUEUES } = process.env;
const configured = Boolean(MQ_QMGR && MQ_CHANNEL && MQ_CONN);

if (!configured) {
  describe('MQ adapter against a real queue manager', () => {
    it.skip('skipped: set MQ_QMGR, MQ_CHANNEL and MQ_CONN (and MQ_USER, MQ_PASSWORD) to run it against a queue manager such as IBM’s developer container', () =>
      undefined);
  });
} else {
  const queues = (MQ_QUEUES ?? 'DEV.QUEUE.1,DEV.QUEUE.2,DEV.QUEUE.3').split(',');
  let next = 0;
  const client = new IbmMqClient();
  const connect = () =>
    client.connect({
      queueManager: MQ_QMGR!,
      channel: MQ_CHANNEL!,
      connection: MQ_CONN!,
      ...(MQ_USER ? { user: MQ_USER } : {}),
      ...(MQ_PASSWORD ? { password: MQ_PASSWORD } : {}),
    });
  mqAdapterSuite({
    name: `real queue manager ${MQ_QMGR}`,
    connection: {
      client: 'ibmmq',
      queueManager: MQ_QMGR,
      channel: MQ_CHANNEL,
      conn: MQ_CONN,
      ...(MQ_USER ? { user: MQ_USER } : {}),
      ...(MQ_PASSWORD ? { password: { secret: 'mq-password' } } : {}),
    },
    secrets: staticSecrets(MQ_PASSWORD ? { 'mq-password': MQ_PASSWORD } : {}),
    simulator: false,
    raw: connect,
    async freshQueue() {
      const name = queues[next++ % queues.length]!;
      const c = await connect();
      const handle = await c.open({ name }, MQOO_INPUT_AS_Q_DEF);
      for (;;) {
        try {
          await c.get(handle, {}, { options: MQGMO_NO_SYNCPOINT }, 100 * 1024 * 1024);
        } catch {
          break;
        }
      }
      await c.disconnect();
      return name;
    },
  });
}
