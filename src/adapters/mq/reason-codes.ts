/**
 * MQI reason codes (cmqc.h) and what each means for the adapter: `connection` codes say the
 * connection is gone (re-made on the next call, with back-off), `retryable` codes may pass by
 * trying again later (queue full, object in use), the rest are permanent (unknown queue,
 * refused authority, message too big).
 */
export interface ReasonInfo {
  readonly name: string;
  readonly retryable: boolean;
  readonly connection: boolean;
}

const table: Record<number, ReasonInfo> = {};
const define = (code: number, name: string, kind: 'connection' | 'retryable' | 'permanent') =>
  (table[code] = { name, retryable: kind !== 'permanent', connection: kind === 'connection' });

define(0, 'MQRC_NONE', 'permanent');
define(2003, 'MQRC_BACKED_OUT', 'retryable');
define(2009, 'MQRC_CONNECTION_BROKEN', 'connection');
define(2010, 'MQRC_DATA_LENGTH_ERROR', 'permanent');
define(2016, 'MQRC_GET_INHIBITED', 'retryable');
define(2018, 'MQRC_HCONN_ERROR', 'connection');
define(2019, 'MQRC_HOBJ_ERROR', 'connection');
define(2024, 'MQRC_SYNCPOINT_LIMIT_REACHED', 'retryable');
define(2030, 'MQRC_MSG_TOO_BIG_FOR_Q', 'permanent');
define(2031, 'MQRC_MSG_TOO_BIG_FOR_Q_MGR', 'permanent');
define(2033, 'MQRC_NO_MSG_AVAILABLE', 'retryable');
define(2035, 'MQRC_NOT_AUTHORIZED', 'permanent');
define(2037, 'MQRC_NOT_OPEN_FOR_INPUT', 'permanent');
define(2039, 'MQRC_NOT_OPEN_FOR_OUTPUT', 'permanent');
define(2042, 'MQRC_OBJECT_IN_USE', 'retryable');
define(2043, 'MQRC_OBJECT_TYPE_ERROR', 'permanent');
define(2045, 'MQRC_OPTION_NOT_VALID_FOR_TYPE', 'permanent');
define(2046, 'MQRC_OPTIONS_ERROR', 'permanent');
define(2051, 'MQRC_PUT_INHIBITED', 'retryable');
define(2052, 'MQRC_Q_DELETED', 'permanent');
define(2053, 'MQRC_Q_FULL', 'retryable');
define(2056, 'MQRC_Q_SPACE_NOT_AVAILABLE', 'retryable');
define(2058, 'MQRC_Q_MGR_NAME_ERROR', 'permanent');
define(2059, 'MQRC_Q_MGR_NOT_AVAILABLE', 'connection');
define(2063, 'MQRC_SECURITY_ERROR', 'permanent');
define(2071, 'MQRC_STORAGE_NOT_AVAILABLE', 'retryable');
define(2080, 'MQRC_TRUNCATED_MSG_FAILED', 'permanent');
define(2082, 'MQRC_UNKNOWN_ALIAS_BASE_Q', 'permanent');
define(2085, 'MQRC_UNKNOWN_OBJECT_NAME', 'permanent');
define(2087, 'MQRC_UNKNOWN_REMOTE_Q_MGR', 'permanent');
define(2090, 'MQRC_WAIT_INTERVAL_ERROR', 'permanent');
define(2091, 'MQRC_XMIT_Q_TYPE_ERROR', 'permanent');
define(2092, 'MQRC_XMIT_Q_USAGE_ERROR', 'permanent');
define(2101, 'MQRC_OBJECT_DAMAGED', 'permanent');
define(2102, 'MQRC_RESOURCE_PROBLEM', 'retryable');
define(2161, 'MQRC_Q_MGR_QUIESCING', 'connection');
define(2162, 'MQRC_Q_MGR_STOPPING', 'connection');
define(2195, 'MQRC_UNEXPECTED_ERROR', 'retryable');
define(2202, 'MQRC_CONNECTION_QUIESCING', 'connection');
define(2203, 'MQRC_CONNECTION_STOPPING', 'connection');
define(2218, 'MQRC_MSG_TOO_BIG_FOR_CHANNEL', 'permanent');
define(2247, 'MQRC_MATCH_OPTIONS_ERROR', 'permanent');
define(2273, 'MQRC_CONNECTION_ERROR', 'connection');
define(2537, 'MQRC_CHANNEL_NOT_AVAILABLE', 'connection');
define(2538, 'MQRC_HOST_NOT_AVAILABLE', 'connection');
define(2548, 'MQRC_RECONNECT_FAILED', 'connection');
define(2549, 'MQRC_CALL_INTERRUPTED', 'connection');

export const MQRC = {
  NONE: 0,
  BACKED_OUT: 2003,
  CONNECTION_BROKEN: 2009,
  HCONN_ERROR: 2018,
  HOBJ_ERROR: 2019,
  MSG_TOO_BIG_FOR_Q: 2030,
  NO_MSG_AVAILABLE: 2033,
  NOT_OPEN_FOR_INPUT: 2037,
  NOT_OPEN_FOR_OUTPUT: 2039,
  OBJECT_IN_USE: 2042,
  OPTION_NOT_VALID_FOR_TYPE: 2045,
  OPTIONS_ERROR: 2046,
  GET_INHIBITED: 2016,
  PUT_INHIBITED: 2051,
  Q_FULL: 2053,
  Q_MGR_NAME_ERROR: 2058,
  Q_MGR_NOT_AVAILABLE: 2059,
  NOT_AUTHORIZED: 2035,
  TRUNCATED_MSG_FAILED: 2080,
  UNKNOWN_ALIAS_BASE_Q: 2082,
  UNKNOWN_OBJECT_NAME: 2085,
  UNKNOWN_REMOTE_Q_MGR: 2087,
  WAIT_INTERVAL_ERROR: 2090,
  XMIT_Q_USAGE_ERROR: 2092,
  Q_MGR_QUIESCING: 2161,
  Q_MGR_STOPPING: 2162,
  MATCH_OPTIONS_ERROR: 2247,
  HOST_NOT_AVAILABLE: 2538,
} as const;

/** What a reason code means; an unlisted code is taken as retryable, named by its number. */
export function reasonInfo(reason: number): ReasonInfo {
  return table[reason] ?? { name: `MQRC_${reason}`, retryable: true, connection: false };
}

export function listedReasons(): number[] {
  return Object.keys(table).map(Number);
}
