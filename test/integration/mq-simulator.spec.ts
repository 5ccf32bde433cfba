import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqiError, type MqConnection } from '../../src/adapters/mq/client.js';
import {
  MQCA_Q_NAME,
  MQGMO_NO_SYNCPOINT,
  MQGMO_SYNCPOINT,
  MQGMO_WAIT,
  MQIA_CURRENT_Q_DEPTH,
  MQIA_Q_TYPE,
  MQMO_MATCH_CORREL_ID,
  MQMO_MATCH_GROUP_ID,
  MQMO_MATCH_MSG_ID,
  MQMO_MATCH_MSG_SEQ_NUMBER,
  MQOO_INPUT_AS_Q_DEF,
  MQOO_INQUIRE,
  MQOO_OUTPUT,
  MQPMO_NEW_CORREL_ID,
  MQPMO_NO_SYNCPOINT,
  MQPMO_SYNCPOINT,
  MQQT_LOCAL,
  MQWI_UNLIMITED,
} from '../../src/adapters/mq/constants.js';
import { parseHeaders } from '../../src/adapters/mq/headers/chain.js';
import { SimulatorMqClient } from '../../src/adapters/mq/simulator/socket-client.js';
import { startMqiSimulator, type MqiSimulatorProcess } from '../support/mqi-simulator.js';

let sim: MqiSimulatorProcess;
const client = new SimulatorMqClient();
const open: MqConnection[] = [];

beforeAll(async () => {
  sim = await startMqiSimulator('SIMQM', [
    { name: 'A.Q', type: 'local' },
    { name: 'B.Q', type: 'local' },
    { name: 'W.Q', type: 'local' },
    { name: 'U.Q', type: 'local' },
    { name: 'F.Q', type: 'local' },
    { name: 'ALIAS.A', type: 'alias', target: 'A.Q' },
    { name: 'QM2', type: 'local', usage: 'transmission' },
    { name: 'TO.QM2', type: 'remote', remoteName: 'ORDERS', remoteQueueManager: 'QM2' },
    { name: 'REPLY.MODEL', type: 'model', definitionType: 'temporary' },
  ]);
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.disconnect().catch(() => undefined)));
  await sim?.stop();
});

async function connect(): Promise<MqConnection> {
  const connection = await client.connect({ queueManager: 'SIMQM', channel: 'DEV.APP.SVRCONN', connection: sim.conn });
  open.push(connection);
  return connection;
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as MqiError,
  );
const body = (text: string) => Buffer.from(text);

describe('MQI simulator (own process, socket client)', () => {
  it('generates 24-byte MsgIds, puts and gets in order, and answers 2033 when empty', async () => {
    const c = await connect();
    const q = await c.open({ name: 'B.Q' }, MQOO_OUTPUT | MQOO_INPUT_AS_Q_DEF | MQOO_INQUIRE);
    const first = await c.put(q, {}, { options: MQPMO_NO_SYNCPOINT | MQPMO_NEW_CORREL_ID }, body('one'));
    const second = await c.put(q, {}, { options: MQPMO_NO_SYNCPOINT }, body('two'));
    expect(first.MsgId).toHaveLength(24);
    expect(first.MsgId.subarray(0, 4).toString()).toBe('AMQ ');
    expect(first.MsgId.equals(second.MsgId)).toBe(false);
    expect(first.CorrelId.every((b) => b === 0)).toBe(false);
    expect(first.PutDate).toMatch(/^\d{8}$/);
    const attrs = await c.inquire(q, [MQIA_CURRENT_Q_DEPTH, MQIA_Q_TYPE, MQCA_Q_NAME]);
    expect([...attrs.values()]).toEqual([2, MQQT_LOCAL, 'B.Q']);
    expect((await c.get(q, {}, { options: MQGMO_NO_SYNCPOINT })).body.toString()).toBe('one');
    expect((await c.get(q, {}, { options: MQGMO_NO_SYNCPOINT })).body.toString()).toBe('two');
    expect((await failure(c.get(q, {}, { options: MQGMO_NO_SYNCPOINT }))).reason).toBe(2033);
  });

  it('selects by MsgId, CorrelId, GroupId and MsgSeqNumber (MatchOptions)', async () => {
    const c = await connect();
    const q = await c.open({ name: 'B.Q' }, MQOO_OUTPUT | MQOO_INPUT_AS_Q_DEF);
    const group = Buffer.alloc(24, 7);
    const correl = Buffer.alloc(24, 9);
    const a = await c.put(q, {}, { options: 0 }, body('a'));
    await c.put(q, { CorrelId: correl }, { options: 0 }, body('b'));
    await c.put(q, { GroupId: group, MsgSeqNumber: 1 }, { options: 0 }, body('g1'));
    await c.put(q, { GroupId: group, MsgSeqNumber: 2 }, { options: 0 }, body('g2'));
    const get = (match: object, matchOptions: number) =>
      c.get(q, match, { options: MQGMO_NO_SYNCPOINT, matchOptions }).then((r) => r.body.toString());
    expect(await get({ GroupId: group, MsgSeqNumber: 2 }, MQMO_MATCH_GROUP_ID | MQMO_MATCH_MSG_SEQ_NUMBER)).toBe('g2');
    expect(await get({ CorrelId: correl }, MQMO_MATCH_CORREL_ID)).toBe('b');
    expect(await get({ MsgId: a.MsgId }, MQMO_MATCH_MSG_ID)).toBe('a');
    expect((await failure(get({ MsgId: a.MsgId }, MQMO_MATCH_MSG_ID))).reason).toBe(2033);
    expect(await get({ GroupId: group }, MQMO_MATCH_GROUP_ID)).toBe('g1');
  });

  it('waits for a message with MQGMO_WAIT, up to the wait interval', async () => {
    const c = await connect();
    const producer = await connect();
    const q = await c.open({ name: 'W.Q' }, MQOO_INPUT_AS_Q_DEF);
    const out = await producer.open({ name: 'W.Q' }, MQOO_OUTPUT);
    const waiting = c.get(q, {}, { options: MQGMO_WAIT | MQGMO_NO_SYNCPOINT, waitInterval: MQWI_UNLIMITED });
    await new Promise((r) => setTimeout(r, 200));
    await producer.put(out, {}, { options: 0 }, body('late'));
    expect((await waiting).body.toString()).toBe('late');
    expect((await failure(c.get(q, {}, { options: MQGMO_WAIT, waitInterval: 300 }))).reason).toBe(2033);
    // A message put after that wait ended is still there for the next get.
    await producer.put(out, {}, { options: 0 }, body('after'));
    expect((await c.get(q, {}, { options: 0 })).body.toString()).toBe('after');
  });

  it('keeps puts under syncpoint invisible until MQCMIT, and backs gets out with BackoutCount + 1', async () => {
    const c = await connect();
    const other = await connect();
    const q = await c.open({ name: 'U.Q' }, MQOO_OUTPUT | MQOO_INPUT_AS_Q_DEF);
    const q2 = await other.open({ name: 'U.Q' }, MQOO_INPUT_AS_Q_DEF);
    await c.put(q, {}, { options: MQPMO_SYNCPOINT }, body('uow'));
    expect((await failure(other.get(q2, {}, { options: 0 }))).reason).toBe(2033);
    expect((await sim.admin.queue('U.Q')).depth).toBe(1);
    await c.commit();
    const got = await other.get(q2, {}, { options: MQGMO_SYNCPOINT });
    expect(got.md.BackoutCount).toBe(0);
    await other.backout();
    const again = await other.get(q2, {}, { options: MQGMO_SYNCPOINT });
    expect(again.md.BackoutCount).toBe(1);
    expect(again.md.MsgId.equals(got.md.MsgId)).toBe(true);
    await other.commit();
    expect((await sim.admin.queue('U.Q')).depth).toBe(0);
  });

  it('backs out the uncommitted work of a client whose connection drops', async () => {
    const c = await connect();
    const q = await c.open({ name: 'U.Q' }, MQOO_OUTPUT | MQOO_INPUT_AS_Q_DEF);
    await c.put(q, {}, { options: 0 }, body('held'));
    await c.put(q, {}, { options: MQPMO_SYNCPOINT }, body('never'));
    const got = await c.get(q, {}, { options: MQGMO_SYNCPOINT });
    expect(got.body.toString()).toBe('held');
    await sim.admin.breakConnections();
    expect((await failure(c.commit())).reason).toBe(2009);
    const d = await connect();
    const q2 = await d.open({ name: 'U.Q' }, MQOO_INPUT_AS_Q_DEF);
    const back = await d.get(q2, {}, { options: 0 });
    expect(back.body.toString()).toBe('held');
    expect(back.md.BackoutCount).toBe(1);
    expect((await failure(d.get(q2, {}, { options: 0 }))).reason).toBe(2033);
  });

  it('resolves aliases, routes remote definitions to the transmission queue behind an MQXQH', async () => {
    const c = await connect();
    const alias = await c.open({ name: 'ALIAS.A' }, MQOO_OUTPUT);
    await c.put(alias, {}, { options: 0 }, body('via alias'));
    expect((await sim.admin.browse('A.Q')).map((m) => m.body.toString())).toEqual(['via alias']);
    const remote = await c.open({ name: 'TO.QM2' }, MQOO_OUTPUT);
    const put = await c.put(remote, { Format: 'MQSTR   ' }, { options: 0 }, body('to QM2'));
    const [waiting] = await sim.admin.browse('QM2');
    expect(waiting!.md.Format.trim()).toBe('MQXMIT');
    const parsed = parseHeaders(waiting!.md.Format, waiting!.md.Encoding, waiting!.md.CodedCharSetId, waiting!.body);
    expect(parsed.headers[0]!.type).toBe('MQXQH');
    expect(parsed.headers[0]!.values.RemoteQName).toBe('ORDERS');
    expect(parsed.headers[0]!.values.RemoteQMgrName).toBe('QM2');
    expect((parsed.headers[0]!.values.MsgDesc as { MsgId: Buffer }).MsgId.equals(put.MsgId)).toBe(true);
    expect(parsed.format).toBe('MQSTR');
    expect(parsed.data.toString()).toBe('to QM2');
    const byQmgr = await c.open({ name: 'ELSEWHERE', queueManager: 'QM2' }, MQOO_OUTPUT);
    expect(byQmgr.resolvedQueueManager).toBe('QM2');
  });

  it('makes dynamic queues from a model queue with the DynamicQName given, deleted with their creator', async () => {
    const c = await connect();
    const dynamic = await c.open(
      { name: 'REPLY.MODEL', dynamicQName: 'APP.REPLY.*' },
      MQOO_INPUT_AS_Q_DEF | MQOO_OUTPUT,
    );
    expect(dynamic.resolvedName).toMatch(/^APP\.REPLY\.[0-9A-F]+$/);
    await c.put(dynamic, {}, { options: 0 }, body('to me'));
    expect((await c.get(dynamic, {}, { options: 0 })).body.toString()).toBe('to me');
    expect((await sim.admin.queues()).some((q) => q.name === dynamic.resolvedName)).toBe(true);
    await c.disconnect();
    expect((await sim.admin.queues()).some((q) => q.name === dynamic.resolvedName)).toBe(false);
  });

  it('answers IBM reason codes: 2085 unknown object, 2045 get from a remote definition, 2058 wrong name, 2538 no listener', async () => {
    const c = await connect();
    expect((await failure(c.open({ name: 'NO.SUCH.Q' }, MQOO_OUTPUT))).reason).toBe(2085);
    expect((await failure(c.open({ name: 'TO.QM2' }, MQOO_INPUT_AS_Q_DEF))).reason).toBe(2045);
    expect((await failure(c.open({ name: 'X', queueManager: 'QM9' }, MQOO_OUTPUT))).reason).toBe(2087);
    expect((await failure(client.connect({ queueManager: 'OTHER', connection: sim.conn }))).reason).toBe(2058);
    expect((await failure(client.connect({ queueManager: 'SIMQM', connection: '127.0.0.1(1)' }))).reason).toBe(2538);
  });

  it('breaks a connection in the middle of an MQGET: the message goes back, the client sees 2009', async () => {
    const c = await connect();
    const q = await c.open({ name: 'F.Q' }, MQOO_OUTPUT | MQOO_INPUT_AS_Q_DEF);
    await c.put(q, {}, { options: 0 }, body('fragile'));
    await sim.admin.breakOnGet('F.Q');
    expect((await failure(c.get(q, {}, { options: MQGMO_SYNCPOINT }))).reason).toBe(2009);
    expect((await failure(c.commit())).reason).toBe(2009);
    const [back] = await sim.admin.browse('F.Q');
    expect(back!.body.toString()).toBe('fragile');
    expect(back!.md.BackoutCount).toBe(1);
  });

  it('takes the simulated queue manager down (2161 to a waiting get, then 2059) and up again', async () => {
    const c = await connect();
    const q = await c.open({ name: 'F.Q' }, MQOO_INPUT_AS_Q_DEF);
    await c.get(q, {}, { options: 0 }); // empties F.Q
    const waiting = failure(c.get(q, {}, { options: MQGMO_WAIT | 0x2000, waitInterval: MQWI_UNLIMITED }));
    await new Promise((r) => setTimeout(r, 100));
    await sim.admin.down('quiesce');
    expect((await waiting).reason).toBe(2161);
    expect((await failure(client.connect({ queueManager: 'SIMQM', connection: sim.conn }))).reason).toBe(2059);
    await sim.admin.up();
    const d = await connect();
    await d.open({ name: 'F.Q' }, MQOO_INPUT_AS_Q_DEF);
  });
});
