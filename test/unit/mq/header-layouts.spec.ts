import { describe, expect, it } from 'vitest';
import { buildHeaders, parseHeaders, type MqHeader } from '../../../src/adapters/mq/headers/chain.js';
import { packRfh2, unpackRfh2 } from '../../../src/adapters/mq/headers/rfh2.js';
import { MQCIH, MQDLH, MQIIH, MQMD1, MQMD2, MQRFH2, MQXQH } from '../../../src/adapters/mq/headers/structures.js';

/*
 * Byte fixtures written by hand from cmqc.h's structure definitions: every field at the offset
 * the header gives it, integers little-endian (MQENC_NATIVE 0x222 on x86) or big-endian
 * (MQENC_NORMAL 0x111), character fields blank padded.
 */

const LE = 0x222;
const BE = 0x111;

class Fixture {
  readonly bytes: Buffer;
  constructor(
    length: number,
    private readonly le = true,
  ) {
    this.bytes = Buffer.alloc(length, 0);
  }
  long(offset: number, value: number): this {
    if (this.le) this.bytes.writeInt32LE(value, offset);
    else this.bytes.writeInt32BE(value, offset);
    return this;
  }
  char(offset: number, length: number, text: string): this {
    this.bytes.fill(0x20, offset, offset + length);
    this.bytes.write(text, offset, 'latin1');
    return this;
  }
  raw(offset: number, data: Buffer): this {
    data.copy(this.bytes, offset);
    return this;
  }
}

const id = (fill: number) => Buffer.alloc(24, fill);

/** An MQMD1 fixture at `base` of `f`, every field set to something recognisable. */
function md1At(f: Fixture, base: number): Fixture {
  return f
    .char(base + 0, 4, 'MD  ')
    .long(base + 4, 1)
    .long(base + 8, 0x40) // Report
    .long(base + 12, 1) // MsgType REQUEST
    .long(base + 16, 600) // Expiry
    .long(base + 20, 0) // Feedback
    .long(base + 24, LE) // Encoding
    .long(base + 28, 1208) // CodedCharSetId
    .char(base + 32, 8, 'MQSTR')
    .long(base + 40, 4) // Priority
    .long(base + 44, 1) // Persistence
    .raw(base + 48, id(0xa1)) // MsgId
    .raw(base + 72, id(0xc2)) // CorrelId
    .long(base + 96, 3) // BackoutCount
    .char(base + 100, 48, 'REPLY.Q')
    .char(base + 148, 48, 'QM1')
    .char(base + 196, 12, 'app')
    .raw(base + 208, Buffer.alloc(32, 0x0e)) // AccountingToken
    .char(base + 240, 32, 'identity')
    .long(base + 272, 6) // PutApplType MQAT_UNIX
    .char(base + 276, 28, 'putter')
    .char(base + 304, 8, '20261122')
    .char(base + 312, 8, '11223344')
    .char(base + 320, 4, 'orig');
}

const md1Values = {
  StrucId: 'MD',
  Version: 1,
  Report: 0x40,
  MsgType: 1,
  Expiry: 600,
  Feedback: 0,
  Encoding: LE,
  CodedCharSetId: 1208,
  Format: 'MQSTR',
  Priority: 4,
  Persistence: 1,
  MsgId: id(0xa1),
  CorrelId: id(0xc2),
  BackoutCount: 3,
  ReplyToQ: 'REPLY.Q',
  ReplyToQMgr: 'QM1',
  UserIdentifier: 'app',
  AccountingToken: Buffer.alloc(32, 0x0e),
  ApplIdentityData: 'identity',
  PutApplType: 6,
  PutApplName: 'putter',
  PutDate: '20261122',
  PutTime: '11223344',
  ApplOriginData: 'orig',
};

describe('MQ structure layouts (cmqc.h)', () => {
  it('have the lengths cmqc.h defines', () => {
    expect(MQMD1.length).toBe(324); // MQMD1_LENGTH_1
    expect(MQMD2.length).toBe(364); // MQMD_LENGTH_2
    expect(MQXQH.length).toBe(428); // MQXQH_LENGTH_1
    expect(MQCIH.length).toBe(180); // MQCIH_LENGTH_2
    expect(MQCIH.offsetOf('CursorPosition')).toBe(164); // MQCIH_LENGTH_1
    expect(MQIIH.length).toBe(84); // MQIIH_LENGTH_1
    expect(MQDLH.length).toBe(172); // MQDLH_LENGTH_1
    expect(MQRFH2.length).toBe(36); // MQRFH_STRUC_LENGTH_FIXED_2
  });

  it('MQMD version 2: unpacks a hand-built descriptor and packs the same bytes', () => {
    const f = md1At(new Fixture(364), 0)
      .long(4, 2)
      .raw(324, id(0x33)) // GroupId
      .long(348, 5) // MsgSeqNumber
      .long(352, 0) // Offset
      .long(356, 0x10) // MsgFlags MQMF_LAST_MSG_IN_GROUP
      .long(360, -1); // OriginalLength
    const values = {
      ...md1Values,
      Version: 2,
      GroupId: id(0x33),
      MsgSeqNumber: 5,
      Offset: 0,
      MsgFlags: 0x10,
      OriginalLength: -1,
    };
    expect(MQMD2.unpack(f.bytes, 0, LE)).toEqual(values);
    expect(MQMD2.pack({ ...values, StrucId: 'MD  ' }, LE).equals(f.bytes)).toBe(true);
  });

  it('MQXQH: RemoteQName at 8, RemoteQMgrName at 56, MsgDesc (MQMD1) at 104', () => {
    const f = md1At(new Fixture(428).char(0, 4, 'XQH ').long(4, 1).char(8, 48, 'ORDERS').char(56, 48, 'QM2'), 104);
    const values = MQXQH.unpack(f.bytes, 0, LE);
    expect(values).toEqual({
      StrucId: 'XQH',
      Version: 1,
      RemoteQName: 'ORDERS',
      RemoteQMgrName: 'QM2',
      MsgDesc: md1Values,
    });
    expect(
      MQXQH.pack({ ...values, StrucId: 'XQH ', MsgDesc: { ...md1Values, StrucId: 'MD  ' } }, LE).equals(f.bytes),
    ).toBe(true);
  });

  it('MQCIH version 2: every field at its offset, big-endian', () => {
    const f = new Fixture(180, false)
      .char(0, 4, 'CIH ')
      .long(4, 2)
      .long(8, 180)
      .long(12, BE)
      .long(16, 500)
      .char(20, 8, 'MQSTR')
      .long(28, 1) // Flags
      .long(32, 2) // ReturnCode
      .long(36, 1) // CompCode
      .long(40, 2033) // Reason
      .long(44, 0x111) // UOWControl
      .long(48, -2) // GetWaitInterval
      .long(52, 1) // LinkType
      .long(56, -1) // OutputDataLength
      .long(60, 30) // FacilityKeepTime
      .long(64, 0) // ADSDescriptor
      .long(68, 0) // ConversationalTask
      .long(72, 0) // TaskEndStatus
      .raw(76, Buffer.from('0102030405060708', 'hex')) // Facility
      .char(84, 4, 'EXEC') // Function
      .char(88, 4, 'ASRA') // AbendCode
      .char(92, 8, 'secret') // Authenticator
      .char(100, 8, '') // Reserved1
      .char(108, 8, 'MQSTR') // ReplyToFormat
      .char(116, 4, 'CICA') // RemoteSysId
      .char(120, 4, 'RTRN') // RemoteTransId
      .char(124, 4, 'TRN1') // TransactionId
      .char(128, 4, 'FLKE') // FacilityLike
      .char(132, 4, 'AID1') // AttentionId
      .char(136, 4, 'SD') // StartCode
      .char(140, 4, 'CNCL') // CancelCode
      .char(144, 4, 'NXT1') // NextTransactionId
      .char(148, 8, '')
      .char(156, 8, '')
      .long(164, 7) // CursorPosition
      .long(168, 12) // ErrorOffset
      .long(172, 0) // InputItem
      .long(176, 0); // Reserved4
    const values = MQCIH.unpack(f.bytes, 0, BE);
    expect(values).toMatchObject({
      StrucId: 'CIH',
      Version: 2,
      StrucLength: 180,
      Encoding: BE,
      CodedCharSetId: 500,
      Format: 'MQSTR',
      Flags: 1,
      ReturnCode: 2,
      CompCode: 1,
      Reason: 2033,
      UOWControl: 0x111,
      GetWaitInterval: -2,
      LinkType: 1,
      OutputDataLength: -1,
      FacilityKeepTime: 30,
      Facility: Buffer.from('0102030405060708', 'hex'),
      Function: 'EXEC',
      AbendCode: 'ASRA',
      Authenticator: 'secret',
      ReplyToFormat: 'MQSTR',
      RemoteSysId: 'CICA',
      RemoteTransId: 'RTRN',
      TransactionId: 'TRN1',
      FacilityLike: 'FLKE',
      AttentionId: 'AID1',
      StartCode: 'SD',
      CancelCode: 'CNCL',
      NextTransactionId: 'NXT1',
      CursorPosition: 7,
      ErrorOffset: 12,
    });
    expect(MQCIH.pack({ ...values, StrucId: 'CIH ' }, BE).equals(f.bytes)).toBe(true);
  });

  it('MQIIH: every field at its offset', () => {
    const f = new Fixture(84)
      .char(0, 4, 'IIH ')
      .long(4, 1)
      .long(8, 84)
      .long(12, LE)
      .long(16, 1208)
      .char(20, 8, 'MQIMSVS')
      .long(28, 1) // Flags MQIIH_PASS_EXPIRATION
      .char(32, 8, 'LTERM1')
      .char(40, 8, 'MAP1')
      .char(48, 8, 'MQIMSVS')
      .char(56, 8, 'pass')
      .raw(64, Buffer.alloc(16, 0x5a)) // TranInstanceId
      .char(80, 1, 'C') // TranState
      .char(81, 1, '1') // CommitMode
      .char(82, 1, 'F') // SecurityScope
      .char(83, 1, ' '); // Reserved
    const values = MQIIH.unpack(f.bytes, 0, LE);
    expect(values).toEqual({
      StrucId: 'IIH',
      Version: 1,
      StrucLength: 84,
      Encoding: LE,
      CodedCharSetId: 1208,
      Format: 'MQIMSVS',
      Flags: 1,
      LTermOverride: 'LTERM1',
      MFSMapName: 'MAP1',
      ReplyToFormat: 'MQIMSVS',
      Authenticator: 'pass',
      TranInstanceId: Buffer.alloc(16, 0x5a),
      TranState: 'C',
      CommitMode: '1',
      SecurityScope: 'F',
      Reserved: '',
    });
    expect(MQIIH.pack({ ...values, StrucId: 'IIH ' }, LE).equals(f.bytes)).toBe(true);
  });

  it('MQDLH: every field at its offset', () => {
    const f = new Fixture(172)
      .char(0, 4, 'DLH ')
      .long(4, 1)
      .long(8, 2053) // Reason MQRC_Q_FULL
      .char(12, 48, 'FULL.Q')
      .char(60, 48, 'QM1')
      .long(108, LE)
      .long(112, 1208)
      .char(116, 8, 'MQSTR')
      .long(124, 6)
      .char(128, 28, 'runmqdlq')
      .char(156, 8, '20261122')
      .char(164, 8, '10000000');
    const values = MQDLH.unpack(f.bytes, 0, LE);
    expect(values).toEqual({
      StrucId: 'DLH',
      Version: 1,
      Reason: 2053,
      DestQName: 'FULL.Q',
      DestQMgrName: 'QM1',
      Encoding: LE,
      CodedCharSetId: 1208,
      Format: 'MQSTR',
      PutApplType: 6,
      PutApplName: 'runmqdlq',
      PutDate: '20261122',
      PutTime: '10000000',
    });
    expect(MQDLH.pack({ ...values, StrucId: 'DLH ' }, LE).equals(f.bytes)).toBe(true);
  });

  it('MQRFH2: the fixed part, then NameValueLength + NameValueData padded to 4', () => {
    const folder = Buffer.from('<usr><Colour>red</Colour><Size>10</Size></usr>'); // 46 bytes → 48
    const f = new Fixture(36 + 4 + 48)
      .char(0, 4, 'RFH ')
      .long(4, 2)
      .long(8, 88)
      .long(12, LE)
      .long(16, 1208)
      .char(20, 8, 'MQSTR')
      .long(28, 0)
      .long(32, 1208)
      .long(36, 48)
      .char(40, 48, folder.toString());
    const parsed = unpackRfh2(f.bytes, 0, LE);
    expect(parsed.length).toBe(88);
    expect(parsed.folders).toEqual({ usr: { Colour: 'red', Size: '10' } });
    expect(packRfh2({ usr: { Colour: 'red', Size: '10' } }, 'MQSTR', LE, 1208).equals(f.bytes)).toBe(true);
  });

  it('MQRFH2 escapes and unescapes XML text, and refuses names that are not XML names', () => {
    const packed = packRfh2({ usr: { Note: 'a<b & "c"' } }, 'MQSTR', BE, 1208);
    expect(unpackRfh2(packed, 0, BE).folders.usr).toEqual({ Note: 'a<b & "c"' });
    expect(() => packRfh2({ usr: { 'bad name': 'x' } }, 'MQSTR', LE, 1208)).toThrow(/XML name/);
  });
});

describe('MQ header chains', () => {
  it('walks MQXQH → MQRFH2 → MQCIH → data by each header’s Format, and builds the same bytes back', () => {
    const data = Buffer.from('<payload/>');
    const headers: MqHeader[] = [
      { type: 'MQXQH', values: { RemoteQName: 'ORDERS', RemoteQMgrName: 'QM2', MsgDesc: { MsgId: id(1) } } },
      { type: 'MQRFH2', values: {}, folders: { usr: { Region: 'eu' } } },
      { type: 'MQCIH', values: { TransactionId: 'TRN1' } },
    ];
    const built = buildHeaders(headers, data, 'MQSTR   ', LE, 1208);
    expect(built.format).toBe('MQXMIT  ');
    // `<usr><Region>eu</Region></usr>` is 30 bytes, padded to 32.
    expect(built.body.length).toBe(428 + 36 + 4 + 32 + 180 + data.length);
    const parsed = parseHeaders(built.format, LE, 1208, built.body);
    expect(parsed.headers.map((h) => h.type)).toEqual(['MQXQH', 'MQRFH2', 'MQCIH']);
    expect(parsed.headers[0]!.values.RemoteQName).toBe('ORDERS');
    expect((parsed.headers[0]!.values.MsgDesc as { Format: string }).Format).toBe('MQHRF2');
    expect(parsed.headers[1]!.type === 'MQRFH2' && parsed.headers[1]!.folders).toEqual({ usr: { Region: 'eu' } });
    expect(parsed.headers[2]!.values).toMatchObject({
      TransactionId: 'TRN1',
      UOWControl: 0x111,
      GetWaitInterval: -2,
      Format: 'MQSTR',
    });
    expect(parsed.format).toBe('MQSTR');
    expect(parsed.data.equals(data)).toBe(true);
  });

  it('reads a version-1 MQCIH (164 bytes) and an MQDLH in front of data', () => {
    const cih = MQCIH.pack(
      {
        StrucId: 'CIH ',
        Version: 1,
        StrucLength: 164,
        Encoding: LE,
        CodedCharSetId: 1208,
        Format: 'MQSTR',
        TransactionId: 'OLD1',
      },
      LE,
    ).subarray(0, 164);
    const dlh = MQDLH.pack(
      {
        StrucId: 'DLH ',
        Version: 1,
        Reason: 2085,
        DestQName: 'GONE.Q',
        Encoding: LE,
        CodedCharSetId: 1208,
        Format: 'MQCICS',
      },
      LE,
    );
    const parsed = parseHeaders('MQDEAD', LE, 1208, Buffer.concat([dlh, cih, Buffer.from('x')]));
    expect(parsed.headers.map((h) => [h.type, h.values.TransactionId ?? h.values.Reason])).toEqual([
      ['MQDLH', 2085],
      ['MQCIH', 'OLD1'],
    ]);
    expect(parsed.data.toString()).toBe('x');
  });

  it('refuses a header whose StrucId is wrong or that is cut short', () => {
    expect(() => parseHeaders('MQCICS', LE, 0, Buffer.alloc(180))).toThrow(/MQCIH/);
    expect(() => parseHeaders('MQXMIT', LE, 0, Buffer.alloc(20))).toThrow(/428 bytes/);
  });

  it('leaves data without a header format alone', () => {
    const parsed = parseHeaders('MQSTR   ', LE, 1208, Buffer.from('plain'));
    expect(parsed.headers).toEqual([]);
    expect(parsed.data.toString()).toBe('plain');
  });
});
