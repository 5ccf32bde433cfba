import {
  MQAT_NO_CONTEXT,
  MQCCSI_Q_MGR,
  MQEI_UNLIMITED,
  MQENC_NATIVE,
  MQFB_NONE,
  MQFMT_NONE,
  MQMF_NONE,
  MQMT_DATAGRAM,
  MQOL_UNDEFINED,
  MQPER_PERSISTENCE_AS_Q_DEF,
  MQPRI_PRIORITY_AS_Q_DEF,
  MQRO_NONE,
} from './constants.js';

/** The message descriptor (MQMD version 2), field for field; byte fields are Buffers. */
export interface MqMd {
  Report: number;
  MsgType: number;
  Expiry: number;
  Feedback: number;
  Encoding: number;
  CodedCharSetId: number;
  /** MQCHAR8, kept blank padded as on the wire (`MQSTR   `). */
  Format: string;
  Priority: number;
  Persistence: number;
  MsgId: Buffer;
  CorrelId: Buffer;
  BackoutCount: number;
  ReplyToQ: string;
  ReplyToQMgr: string;
  UserIdentifier: string;
  AccountingToken: Buffer;
  ApplIdentityData: string;
  PutApplType: number;
  PutApplName: string;
  PutDate: string;
  PutTime: string;
  ApplOriginData: string;
  GroupId: Buffer;
  MsgSeqNumber: number;
  Offset: number;
  MsgFlags: number;
  OriginalLength: number;
}

/** MQMD_DEFAULT from cmqc.h. */
export function defaultMd(): MqMd {
  return {
    Report: MQRO_NONE,
    MsgType: MQMT_DATAGRAM,
    Expiry: MQEI_UNLIMITED,
    Feedback: MQFB_NONE,
    Encoding: MQENC_NATIVE,
    CodedCharSetId: MQCCSI_Q_MGR,
    Format: MQFMT_NONE,
    Priority: MQPRI_PRIORITY_AS_Q_DEF,
    Persistence: MQPER_PERSISTENCE_AS_Q_DEF,
    MsgId: Buffer.alloc(24),
    CorrelId: Buffer.alloc(24),
    BackoutCount: 0,
    ReplyToQ: '',
    ReplyToQMgr: '',
    UserIdentifier: '',
    AccountingToken: Buffer.alloc(32),
    ApplIdentityData: '',
    PutApplType: MQAT_NO_CONTEXT,
    PutApplName: '',
    PutDate: '',
    PutTime: '',
    ApplOriginData: '',
    GroupId: Buffer.alloc(24),
    MsgSeqNumber: 1,
    Offset: 0,
    MsgFlags: MQMF_NONE,
    OriginalLength: MQOL_UNDEFINED,
  };
}

export const MD_BYTE_FIELDS = ['MsgId', 'CorrelId', 'AccountingToken', 'GroupId'] as const;

/** True when every byte is 0: MQMI_NONE / MQCI_NONE / MQGI_NONE, which match anything. */
export function isNone(bytes: Buffer): boolean {
  return bytes.every((b) => b === 0);
}

/** A byte field from hex (as context properties hold them), padded with zeros to its length. */
export function bytesFromHex(hex: string, length: number): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex) || hex.length > length * 2) {
    throw new RangeError(`expected at most ${length} bytes as hex, got ${JSON.stringify(hex)}`);
  }
  const out = Buffer.alloc(length);
  Buffer.from(hex, 'hex').copy(out);
  return out;
}
