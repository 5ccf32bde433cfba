import {
  MQMO_MATCH_CORREL_ID,
  MQMO_MATCH_GROUP_ID,
  MQMO_MATCH_MSG_ID,
  MQMO_MATCH_MSG_SEQ_NUMBER,
  MQMO_NONE,
} from './constants.js';
import type { MqMatch } from './config.js';
import { bytesFromHex, type MqMd } from './md.js';

/** MatchOptions and the MQMD fields they select on, from a location's `match` settings. */
export function matchFor(match: MqMatch | undefined): { md: Partial<MqMd>; options: number } {
  if (!match) return { md: {}, options: MQMO_NONE };
  const md: Partial<MqMd> = {};
  let options = MQMO_NONE;
  if (match.msgId !== undefined) {
    md.MsgId = bytesFromHex(match.msgId, 24);
    options |= MQMO_MATCH_MSG_ID;
  }
  if (match.correlId !== undefined) {
    md.CorrelId = bytesFromHex(match.correlId, 24);
    options |= MQMO_MATCH_CORREL_ID;
  }
  if (match.groupId !== undefined) {
    md.GroupId = bytesFromHex(match.groupId, 24);
    options |= MQMO_MATCH_GROUP_ID;
  }
  if (match.msgSeqNumber !== undefined) {
    md.MsgSeqNumber = match.msgSeqNumber;
    options |= MQMO_MATCH_MSG_SEQ_NUMBER;
  }
  return { md, options };
}
