import { bytes, char, defineLayout, long, struct } from './layout.js';

/*
 * The layouts of cmqc.h's MQMD, MQMD1, MQXQH, MQCIH, MQIIH, MQDLH and MQRFH2 (fixed part),
 * field for field in the header's order. The lengths come out as cmqc.h's MQ*_LENGTH_* say; the
 * unit tests check every offset against hand-built bytes.
 */

const md1Fields = [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'Report', type: long },
  { name: 'MsgType', type: long },
  { name: 'Expiry', type: long },
  { name: 'Feedback', type: long },
  { name: 'Encoding', type: long },
  { name: 'CodedCharSetId', type: long },
  { name: 'Format', type: char(8) },
  { name: 'Priority', type: long },
  { name: 'Persistence', type: long },
  { name: 'MsgId', type: bytes(24) },
  { name: 'CorrelId', type: bytes(24) },
  { name: 'BackoutCount', type: long },
  { name: 'ReplyToQ', type: char(48) },
  { name: 'ReplyToQMgr', type: char(48) },
  { name: 'UserIdentifier', type: char(12) },
  { name: 'AccountingToken', type: bytes(32) },
  { name: 'ApplIdentityData', type: char(32) },
  { name: 'PutApplType', type: long },
  { name: 'PutApplName', type: char(28) },
  { name: 'PutDate', type: char(8) },
  { name: 'PutTime', type: char(8) },
  { name: 'ApplOriginData', type: char(4) },
];

/** MQMD version 1 (MQMD1_LENGTH_1 = 324): the descriptor inside MQXQH. */
export const MQMD1 = defineLayout('MQMD1', md1Fields);

/** MQMD version 2 (MQMD_LENGTH_2 = 364). */
export const MQMD2 = defineLayout('MQMD', [
  ...md1Fields,
  { name: 'GroupId', type: bytes(24) },
  { name: 'MsgSeqNumber', type: long },
  { name: 'Offset', type: long },
  { name: 'MsgFlags', type: long },
  { name: 'OriginalLength', type: long },
]);

/** Transmission-queue header (MQXQH_LENGTH_1 = 428): a message's destination while it waits on a transmission queue. */
export const MQXQH = defineLayout('MQXQH', [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'RemoteQName', type: char(48) },
  { name: 'RemoteQMgrName', type: char(48) },
  { name: 'MsgDesc', type: struct(MQMD1) },
]);

/** CICS bridge header, version 2 (MQCIH_LENGTH_2 = 180; version 1 stops at 164). */
export const MQCIH = defineLayout('MQCIH', [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'StrucLength', type: long },
  { name: 'Encoding', type: long },
  { name: 'CodedCharSetId', type: long },
  { name: 'Format', type: char(8) },
  { name: 'Flags', type: long },
  { name: 'ReturnCode', type: long },
  { name: 'CompCode', type: long },
  { name: 'Reason', type: long },
  { name: 'UOWControl', type: long },
  { name: 'GetWaitInterval', type: long },
  { name: 'LinkType', type: long },
  { name: 'OutputDataLength', type: long },
  { name: 'FacilityKeepTime', type: long },
  { name: 'ADSDescriptor', type: long },
  { name: 'ConversationalTask', type: long },
  { name: 'TaskEndStatus', type: long },
  { name: 'Facility', type: bytes(8) },
  { name: 'Function', type: char(4) },
  { name: 'AbendCode', type: char(4) },
  { name: 'Authenticator', type: char(8) },
  { name: 'Reserved1', type: char(8) },
  { name: 'ReplyToFormat', type: char(8) },
  { name: 'RemoteSysId', type: char(4) },
  { name: 'RemoteTransId', type: char(4) },
  { name: 'TransactionId', type: char(4) },
  { name: 'FacilityLike', type: char(4) },
  { name: 'AttentionId', type: char(4) },
  { name: 'StartCode', type: char(4) },
  { name: 'CancelCode', type: char(4) },
  { name: 'NextTransactionId', type: char(4) },
  { name: 'Reserved2', type: char(8) },
  { name: 'Reserved3', type: char(8) },
  { name: 'CursorPosition', type: long },
  { name: 'ErrorOffset', type: long },
  { name: 'InputItem', type: long },
  { name: 'Reserved4', type: long },
]);
export const MQCIH_LENGTH_1 = 164;

/** IMS bridge header (MQIIH_LENGTH_1 = 84). */
export const MQIIH = defineLayout('MQIIH', [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'StrucLength', type: long },
  { name: 'Encoding', type: long },
  { name: 'CodedCharSetId', type: long },
  { name: 'Format', type: char(8) },
  { name: 'Flags', type: long },
  { name: 'LTermOverride', type: char(8) },
  { name: 'MFSMapName', type: char(8) },
  { name: 'ReplyToFormat', type: char(8) },
  { name: 'Authenticator', type: char(8) },
  { name: 'TranInstanceId', type: bytes(16) },
  { name: 'TranState', type: char(1) },
  { name: 'CommitMode', type: char(1) },
  { name: 'SecurityScope', type: char(1) },
  { name: 'Reserved', type: char(1) },
]);

/** Dead-letter header (MQDLH_LENGTH_1 = 172). */
export const MQDLH = defineLayout('MQDLH', [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'Reason', type: long },
  { name: 'DestQName', type: char(48) },
  { name: 'DestQMgrName', type: char(48) },
  { name: 'Encoding', type: long },
  { name: 'CodedCharSetId', type: long },
  { name: 'Format', type: char(8) },
  { name: 'PutApplType', type: long },
  { name: 'PutApplName', type: char(28) },
  { name: 'PutDate', type: char(8) },
  { name: 'PutTime', type: char(8) },
]);

/** MQRFH2's fixed part (MQRFH_STRUC_LENGTH_FIXED_2 = 36); NameValueLength/NameValueData pairs follow. */
export const MQRFH2 = defineLayout('MQRFH2', [
  { name: 'StrucId', type: char(4) },
  { name: 'Version', type: long },
  { name: 'StrucLength', type: long },
  { name: 'Encoding', type: long },
  { name: 'CodedCharSetId', type: long },
  { name: 'Format', type: char(8) },
  { name: 'Flags', type: long },
  { name: 'NameValueCCSID', type: long },
]);
