import { describe, expect, it } from 'vitest';
import {
  MQGMO_ACCEPT_TRUNCATED_MSG,
  MQGMO_SYNCPOINT,
  MQGMO_WAIT,
  MQOO_INPUT_AS_Q_DEF,
  MQOO_OUTPUT,
  MQPMO_SYNCPOINT,
} from '../../../src/adapters/mq/constants.js';
import { MqiSimulator, SimulatedFailure } from '../../../src/adapters/mq/simulator/mqi-simulator.js';

/* The simulator's MQI semantics, called directly (the socket and process are tested in integration). */

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as SimulatedFailure).reason;
  }
  return 0;
};
const rejectionReason = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: unknown) => (e as SimulatedFailure).reason,
  );

function setup() {
  const sim = new MqiSimulator('UNIT', [
    { name: 'Q', type: 'local' },
    { name: 'SMALL', type: 'local', maxMessageLength: 4 },
    { name: 'NOPUT', type: 'local', putInhibited: true },
    { name: 'NOGET', type: 'local', getInhibited: true },
    { name: 'BROKEN.ALIAS', type: 'alias', target: 'MISSING' },
    { name: 'NOT.XMIT', type: 'local' },
    { name: 'R', type: 'remote', remoteName: 'X', transmissionQueue: 'NOT.XMIT' },
  ]);
  const c = sim.connect('UNIT', 'unit');
  const q = sim.open(c, { name: 'Q' }, MQOO_INPUT_AS_Q_DEF | MQOO_OUTPUT).id;
  const text = async (p: Promise<{ body: Buffer }>) => (await p).body.toString();
  return { sim, c, q, text };
}

describe('MQI simulator semantics', () => {
  it('delivers higher priorities first, FIFO within a priority, and puts a backed-out message back in its place', async () => {
    const { sim, c, q, text } = setup();
    sim.put(c, q, { Priority: 0 }, 0, Buffer.from('low-1'));
    sim.put(c, q, { Priority: 5 }, 0, Buffer.from('high'));
    sim.put(c, q, { Priority: 0 }, 0, Buffer.from('low-2'));
    expect(await text(sim.get(c, q, {}, MQGMO_SYNCPOINT, 0, 0, 1e9))).toBe('high');
    expect(await text(sim.get(c, q, {}, MQGMO_SYNCPOINT, 0, 0, 1e9))).toBe('low-1');
    sim.backout(c);
    expect(sim.browse('Q').map((m) => [m.body.toString(), m.md.BackoutCount])).toEqual([
      ['high', 1],
      ['low-1', 1],
      ['low-2', 0],
    ]);
  });

  it('wakes a waiting get when a unit of work with a put commits', async () => {
    const { sim, c, q, text } = setup();
    const other = sim.connect('UNIT', 'other');
    const oq = sim.open(other, { name: 'Q' }, MQOO_OUTPUT).id;
    const waiting = text(sim.get(c, q, {}, MQGMO_WAIT, 0, -1, 1e9));
    sim.put(other, oq, {}, MQPMO_SYNCPOINT, Buffer.from('committed'));
    expect(sim.browse('Q')).toHaveLength(0);
    sim.commit(other);
    expect(await waiting).toBe('committed');
  });

  it('refuses a message larger than the buffer with 2080 and leaves it, unless truncation is accepted', async () => {
    const { sim, c, q } = setup();
    sim.put(c, q, {}, 0, Buffer.from('0123456789'));
    expect(await rejectionReason(sim.get(c, q, {}, 0, 0, 0, 4))).toBe(2080);
    expect(sim.browse('Q')).toHaveLength(1);
    expect((await sim.get(c, q, {}, MQGMO_ACCEPT_TRUNCATED_MSG, 0, 0, 4)).body.toString()).toBe('0123');
  });

  it('answers 2030, 2051, 2016, 2082, 2092, 2037 and 2039 as IBM documents them', async () => {
    const { sim, c } = setup();
    const small = sim.open(c, { name: 'SMALL' }, MQOO_OUTPUT).id;
    expect(reasonOf(() => sim.put(c, small, {}, 0, Buffer.from('too long')))).toBe(2030);
    const noput = sim.open(c, { name: 'NOPUT' }, MQOO_OUTPUT).id;
    expect(reasonOf(() => sim.put(c, noput, {}, 0, Buffer.from('x')))).toBe(2051);
    const noget = sim.open(c, { name: 'NOGET' }, MQOO_INPUT_AS_Q_DEF).id;
    expect(await rejectionReason(sim.get(c, noget, {}, 0, 0, 0, 100))).toBe(2016);
    expect(reasonOf(() => sim.open(c, { name: 'BROKEN.ALIAS' }, MQOO_OUTPUT))).toBe(2082);
    expect(reasonOf(() => sim.open(c, { name: 'R' }, MQOO_OUTPUT))).toBe(2092);
    const outOnly = sim.open(c, { name: 'Q' }, MQOO_OUTPUT).id;
    expect(reasonOf(() => void sim.get(c, outOnly, {}, 0, 0, 0, 100))).toBe(2037);
    const inOnly = sim.open(c, { name: 'Q' }, MQOO_INPUT_AS_Q_DEF).id;
    expect(reasonOf(() => sim.put(c, inOnly, {}, 0, Buffer.from('x')))).toBe(2039);
  });

  it('backs out a connection’s work and deletes its temporary dynamic queues when it disconnects', async () => {
    const { sim, c, q } = setup();
    sim.put(c, q, {}, 0, Buffer.from('kept'));
    await sim.get(c, q, {}, MQGMO_SYNCPOINT, 0, 0, 100);
    sim.put(c, q, {}, MQPMO_SYNCPOINT, Buffer.from('discarded'));
    const dynamic = sim.open(c, { name: 'SYSTEM.DEFAULT.MODEL.QUEUE', dynamicQName: 'TMP.*' }, MQOO_INPUT_AS_Q_DEF);
    expect(sim.queues.has(dynamic.resolvedName)).toBe(true);
    sim.disconnect(c);
    expect(sim.browse('Q').map((m) => m.body.toString())).toEqual(['kept']);
    expect(sim.queues.get('Q')!.depth).toBe(1);
    expect(sim.queues.has(dynamic.resolvedName)).toBe(false);
    expect(reasonOf(() => sim.commit(c))).toBe(2009);
  });

  it('makes unique 24-byte MsgIds that start AMQ and the simulator’s name', () => {
    const { sim } = setup();
    const ids = Array.from({ length: 100 }, () => sim.newId().toString('hex'));
    expect(new Set(ids).size).toBe(100);
    expect(Buffer.from(ids[0]!, 'hex').subarray(0, 8).toString()).toBe('AMQ UNIT');
  });
});
