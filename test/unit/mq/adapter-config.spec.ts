import { describe, expect, it } from 'vitest';
import { PermanentAdapterError, TransientAdapterError } from '../../../src/adapters/errors.js';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { parseMqAddress } from '../../../src/adapters/mq/address.js';
import { MqiError } from '../../../src/adapters/mq/client.js';
import { MQ_CLIENT_MISSING_MESSAGE, mqError } from '../../../src/adapters/mq/errors.js';
import { IbmMqClient } from '../../../src/adapters/mq/ibmmq-client.js';
import { loadIbmMq, resetIbmMqForTests } from '../../../src/adapters/mq/load-ibmmq.js';
import { engineMsgId } from '../../../src/adapters/mq/output.js';
import { reasonInfo } from '../../../src/adapters/mq/reason-codes.js';
import { SchemaViolation } from '../../../src/domain/errors.js';

const registry = defaultRegistry();
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof SchemaViolation) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
};

describe('MQ adapter settings', () => {
  it('is registered, and refuses bad settings naming each field', () => {
    expect(registry.names()).toContain('mq');
    const issues = issuesOf(() =>
      registry.receiveConfig(
        'mq',
        {
          queueManager: 'QM1',
          queue: 'bad queue name',
          conn: 'host:1414',
          password: 'plain',
          match: { correlId: 'xyz' },
        },
        'receiveLocations.2.config',
      ),
    );
    expect(issues.join('\n')).toMatch(/receiveLocations\.2\.config\.queue: an MQ object name/);
    expect(issues.join('\n')).toMatch(/receiveLocations\.2\.config\.conn: host\(port\)/);
    expect(issues.join('\n')).toMatch(/receiveLocations\.2\.config\.password: credentials are secret references/);
    expect(issues.join('\n')).toMatch(/receiveLocations\.2\.config\.match\.correlId: hex/);
  });

  it('needs a channel with a client connection, conn for the simulator, and a queue to send to', () => {
    expect(
      issuesOf(() => registry.receiveConfig('mq', { queueManager: 'QM1', queue: 'Q', conn: 'h(1414)' }, 'c')),
    ).toEqual(['c.channel: a client connection (conn) needs a channel']);
    expect(issuesOf(() => registry.sendConfig('mq', { queueManager: 'QM1', client: 'simulator' }, 's'))).toEqual([
      's.conn: the MQI simulator is reached at host(port): set conn',
      's.queue: a send needs a queue (or toReplyQueue)',
    ]);
  });

  it('takes dynamic addresses mq://QMGR/QUEUE?channel=…&conn=host(port)', () => {
    const config = parseMqAddress('mq://QM1/ORDERS.IN?channel=DEV.APP.SVRCONN&conn=mq.example(1414),mq2.example(1415)');
    expect(config).toMatchObject({
      queueManager: 'QM1',
      queue: 'ORDERS.IN',
      channel: 'DEV.APP.SVRCONN',
      conn: 'mq.example(1414),mq2.example(1415)',
      client: 'ibmmq',
      transactional: true,
    });
    expect(registry.forAddress('mq://QM1/Q1').config).toMatchObject({ queueManager: 'QM1', queue: 'Q1' });
    expect(() => parseMqAddress('mq://QM1')).toThrow(/expected mq:\/\/QMGR\/QUEUE/);
    expect(() => parseMqAddress('mq://QM1/Q?password=x')).toThrow(/unknown parameter "password"/);
    expect(() => parseMqAddress('mq://QM1/Q?conn=nohost')).toThrow(PermanentAdapterError);
  });

  it('derives the MsgId of a send from message id and port: 24 bytes, the same on every retry', () => {
    expect(engineMsgId('m-1', 'p')).toHaveLength(24);
    expect(engineMsgId('m-1', 'p').equals(engineMsgId('m-1', 'p'))).toBe(true);
    expect(engineMsgId('m-1', 'p').equals(engineMsgId('m-1', 'q'))).toBe(false);
  });
});

describe('MQ reason codes', () => {
  it('treat a lost connection as retryable and re-made (2009, 2059, 2161, 2162, 2538, …)', () => {
    for (const reason of [2009, 2059, 2161, 2162, 2538, 2537, 2548, 2202, 2018]) {
      expect(reasonInfo(reason), String(reason)).toMatchObject({ retryable: true, connection: true });
    }
  });

  it('map each code to retryable or not, by IBM name', () => {
    expect(reasonInfo(2053)).toEqual({ name: 'MQRC_Q_FULL', retryable: true, connection: false });
    expect(reasonInfo(2033)).toMatchObject({ name: 'MQRC_NO_MSG_AVAILABLE', retryable: true });
    for (const reason of [2085, 2035, 2030, 2082, 2087, 2045, 2080])
      expect(reasonInfo(reason).retryable, String(reason)).toBe(false);
  });

  it('become typed adapter errors with a stable code and the reason in the message', () => {
    const broken = mqError(new MqiError(2, 2009, 'GET'), 'MQGET from Q1');
    expect(broken).toBeInstanceOf(TransientAdapterError);
    expect(broken.code).toBe('MQ_CONNECTION_BROKEN');
    expect(broken.message).toBe('MQGET from Q1: GET: MQRC_CONNECTION_BROKEN (2009)');
    const unknown = mqError(new MqiError(2, 2085, 'OPEN'), 'open');
    expect(unknown).toBeInstanceOf(PermanentAdapterError);
    expect(unknown.code).toBe('MQ_UNKNOWN_OBJECT_NAME');
  });
});

describe('loading IBM MQ’s client', () => {
  it('turns the missing C client (this machine has none) into one clear error, for every MQ connect', async () => {
    resetIbmMqForTests();
    let thrown: unknown;
    try {
      loadIbmMq();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentAdapterError);
    expect((thrown as PermanentAdapterError).message).toBe(
      'IBM MQ C client not found: install the MQ redistributable client and set MQ_INSTALLATION_PATH / LD_LIBRARY_PATH',
    );
    expect((thrown as PermanentAdapterError).code).toBe('MQ_CLIENT_MISSING');
    const viaClient = await new IbmMqClient().connect({ queueManager: 'QM1' }).catch((e: unknown) => e);
    expect((viaClient as Error).message).toBe(MQ_CLIENT_MISSING_MESSAGE);
  });

  it('keeps the plain object the package throws as the cause', () => {
    resetIbmMqForTests();
    const error = (() => {
      try {
        loadIbmMq(() => {
          // What `require('ibmmq')` throws without the C client: a plain object, not an Error.
          // eslint-disable-next-line @typescript-eslint/only-throw-error
          throw { message: '/opt/mqm/lib/libmqm_r.so: cannot open shared object file' };
        });
      } catch (e) {
        return e as PermanentAdapterError;
      }
    })();
    expect(error?.cause).toContain('libmqm_r.so');
    resetIbmMqForTests();
  });

  it('creates MQ handlers without loading the client, so an engine without MQ ports never needs it', () => {
    const side = registry.get('mq').receive!;
    const config = registry.receiveConfig('mq', { queueManager: 'QM1', queue: 'Q1' }, 'c');
    expect(() =>
      side.create(config, { name: 'l', receivePort: 'p', secrets: { reveal: () => Promise.resolve('') } }),
    ).not.toThrow();
  });
});
