import {
  MQMO_MATCH_CORREL_ID,
  MQMO_MATCH_GROUP_ID,
  MQMO_MATCH_MSG_ID,
  MQMO_MATCH_MSG_SEQ_NUMBER,
} from '../constants.js';
import { isNone, type MqMd } from '../md.js';

/** MatchOptions: each selected field must equal the caller's, except a NONE id, which matches any. */
export function matches(md: MqMd, match: Partial<MqMd>, matchOptions: number): boolean {
  if (matchOptions & MQMO_MATCH_MSG_ID && match.MsgId && !isNone(match.MsgId) && !md.MsgId.equals(match.MsgId))
    return false;
  if (
    matchOptions & MQMO_MATCH_CORREL_ID &&
    match.CorrelId &&
    !isNone(match.CorrelId) &&
    !md.CorrelId.equals(match.CorrelId)
  )
    return false;
  if (
    matchOptions & MQMO_MATCH_GROUP_ID &&
    match.GroupId &&
    !isNone(match.GroupId) &&
    !md.GroupId.equals(match.GroupId)
  )
    return false;
  if (
    matchOptions & MQMO_MATCH_MSG_SEQ_NUMBER &&
    match.MsgSeqNumber !== undefined &&
    md.MsgSeqNumber !== match.MsgSeqNumber
  )
    return false;
  return true;
}
