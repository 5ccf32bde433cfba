import { describe, expect, it } from 'vitest';
import { PermanentAdapterError } from '../../../src/adapters/errors.js';
import { MQ, MQCIH, MQMD } from '../../../src/adapters/mq/context.js';
import { parseHeaders } from '../../../src/adapters/mq/headers/chain.js';
import { MQCIH as CIH_LAYOUT } from '../../../src/adapters/mq/headers/structures.js';
import { defaultMd } from '../../../src/adapters/mq/md.js';
import { headersFromContext, mdFromContext, receivedContext } from '../../../src/adapters/mq/message-context.js';
import { validateContext } from '../../../src/domain/context/index.js';

describe('MQMD and headers as context properties', () => {
  it('promotes every MQMD field, byte fields as upper-case hex, and passes the namespaces’ own checks', () => {
    const md = {
      ...defaultMd(),
      MsgId: Buffer.alloc(24, 0xab),
      CorrelId: Buffer.alloc(24, 1),
      Format: 'MQSTR   ',
      ReplyToQ: 'R.Q',
    };
    const cih = CIH_LAYOUT.pack(
      { StrucId: 'CIH ', Version: 2, StrucLength: 180, Format: 'MQSTR', TransactionId: 'T1', Authenticator: 'secret1' },
      0x222,
    );
    const parsed = parseHeaders('MQCICS', 0x222, 1208, Buffer.concat([cih, Buffer.from('data')]));
    const context = receivedContext(md, parsed, { queue: 'IN.Q', queueManager: 'QM1' });
    expect(context.promoted['MQMD.MsgId']).toBe('AB'.repeat(24));
    expect(context.promoted['MQMD.CorrelId']).toBe('01'.repeat(24));
    expect(context.promoted['MQMD.Format']).toBe('MQSTR');
    expect(context.promoted['MQMD.ReplyToQ']).toBe('R.Q');
    expect(context.promoted['MQMD.MsgSeqNumber']).toBe(1);
    expect(context.written['MQCIH.TransactionId']).toBe('T1');
    expect(context.written['MQCIH.Authenticator']).toBeUndefined();
    expect(JSON.stringify(context)).not.toContain('secret1');
    expect(() => validateContext(context, [MQMD, MQCIH, MQ])).not.toThrow();
  });

  it('builds an MQMD from MQMD.* properties, leaving the queue manager’s own fields alone', () => {
    const md = mdFromContext({
      promoted: { 'MQMD.CorrelId': 'ABCD', 'MQMD.Priority': 7, 'MQMD.BackoutCount': 3 },
      written: { 'MQMD.PutApplName': 'forged', 'MQMD.Format': 'MQSTR' },
    });
    expect(md.CorrelId).toEqual(Buffer.concat([Buffer.from('ABCD', 'hex'), Buffer.alloc(22)]));
    expect(md.Priority).toBe(7);
    expect(md.Format).toBe('MQSTR');
    expect(md).not.toHaveProperty('BackoutCount');
    expect(md).not.toHaveProperty('PutApplName');
  });

  it('refuses a property of the wrong type, naming it', () => {
    expect(() => mdFromContext({ promoted: { 'MQMD.Priority': 'high' }, written: {} })).toThrow(
      /MQMD.Priority must be an integer/,
    );
    expect(() => mdFromContext({ promoted: { 'MQMD.CorrelId': 'zz' }, written: {} })).toThrow(PermanentAdapterError);
    expect(() => headersFromContext({ promoted: {}, written: {} }, { transmissionHeader: true })).toThrow(
      /MQXQH.RemoteQName/,
    );
  });

  it('asks for the headers the context names, outermost first', () => {
    const headers = headersFromContext(
      {
        promoted: { 'MQRFH2.usr.Region': 'eu' },
        written: {
          'MQIIH.LTermOverride': 'LT1',
          'MQDLH.Reason': 2053,
          'MQXQH.RemoteQName': 'R',
          'MQXQH.RemoteQMgrName': 'QM2',
        },
      },
      { transmissionHeader: true },
    );
    expect(headers.map((h) => h.type)).toEqual(['MQXQH', 'MQDLH', 'MQRFH2', 'MQIIH']);
  });
});
