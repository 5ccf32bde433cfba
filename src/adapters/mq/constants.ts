/*
 * The MQI values this adapter and its simulator use, as IBM's cmqc.h defines them. Only the
 * subset in use is listed; names are IBM's, so each can be checked against the header.
 */

export const MQCC_OK = 0;
export const MQCC_WARNING = 1;
export const MQCC_FAILED = 2;

export const MQOO_INPUT_AS_Q_DEF = 0x00000001;
export const MQOO_INPUT_SHARED = 0x00000002;
export const MQOO_INPUT_EXCLUSIVE = 0x00000004;
export const MQOO_BROWSE = 0x00000008;
export const MQOO_OUTPUT = 0x00000010;
export const MQOO_INQUIRE = 0x00000020;
export const MQOO_FAIL_IF_QUIESCING = 0x00002000;
export const MQOO_INPUT_ANY = MQOO_INPUT_AS_Q_DEF | MQOO_INPUT_SHARED | MQOO_INPUT_EXCLUSIVE;

export const MQCO_NONE = 0x00000000;
export const MQCO_DELETE = 0x00000001;
export const MQCO_DELETE_PURGE = 0x00000002;

export const MQGMO_NO_WAIT = 0x00000000;
export const MQGMO_WAIT = 0x00000001;
export const MQGMO_SYNCPOINT = 0x00000002;
export const MQGMO_NO_SYNCPOINT = 0x00000004;
export const MQGMO_ACCEPT_TRUNCATED_MSG = 0x00000040;
export const MQGMO_FAIL_IF_QUIESCING = 0x00002000;
export const MQGMO_CONVERT = 0x00004000;
export const MQWI_UNLIMITED = -1;

export const MQMO_NONE = 0x00000000;
export const MQMO_MATCH_MSG_ID = 0x00000001;
export const MQMO_MATCH_CORREL_ID = 0x00000002;
export const MQMO_MATCH_GROUP_ID = 0x00000004;
export const MQMO_MATCH_MSG_SEQ_NUMBER = 0x00000008;

export const MQPMO_NONE = 0x00000000;
export const MQPMO_SYNCPOINT = 0x00000002;
export const MQPMO_NO_SYNCPOINT = 0x00000004;
export const MQPMO_NEW_MSG_ID = 0x00000040;
export const MQPMO_NEW_CORREL_ID = 0x00000080;
export const MQPMO_FAIL_IF_QUIESCING = 0x00002000;

export const MQMT_REQUEST = 1;
export const MQMT_REPLY = 2;
export const MQMT_REPORT = 4;
export const MQMT_DATAGRAM = 8;

export const MQPER_NOT_PERSISTENT = 0;
export const MQPER_PERSISTENT = 1;
export const MQPER_PERSISTENCE_AS_Q_DEF = 2;
export const MQPRI_PRIORITY_AS_Q_DEF = -1;
export const MQEI_UNLIMITED = -1;
export const MQRO_NONE = 0;
export const MQFB_NONE = 0;
export const MQENC_NATIVE = 0x00000222;
export const MQCCSI_Q_MGR = 0;
export const MQAT_NO_CONTEXT = 0;
export const MQAT_UNIX = 6;
export const MQMF_NONE = 0;
export const MQOL_UNDEFINED = -1;

export const MQQT_LOCAL = 1;
export const MQQT_MODEL = 2;
export const MQQT_ALIAS = 3;
export const MQQT_REMOTE = 6;
export const MQUS_NORMAL = 0;
export const MQUS_TRANSMISSION = 1;
export const MQQDT_PERMANENT_DYNAMIC = 2;
export const MQQDT_TEMPORARY_DYNAMIC = 3;

export const MQIA_CURRENT_Q_DEPTH = 3;
export const MQIA_DEFINITION_TYPE = 7;
export const MQIA_USAGE = 12;
export const MQIA_MAX_MSG_LENGTH = 13;
export const MQIA_MAX_Q_DEPTH = 15;
export const MQIA_OPEN_INPUT_COUNT = 17;
export const MQIA_Q_TYPE = 20;
export const MQIA_BACKOUT_THRESHOLD = 22;
export const MQCA_BASE_Q_NAME = 2002;
export const MQCA_Q_MGR_NAME = 2015;
export const MQCA_Q_NAME = 2016;
export const MQCA_REMOTE_Q_MGR_NAME = 2017;
export const MQCA_REMOTE_Q_NAME = 2018;
export const MQCA_BACKOUT_REQ_Q_NAME = 2019;
export const MQCA_XMIT_Q_NAME = 2024;

/** Format names (MQCHAR8, blank padded) that say which header follows. */
export const MQFMT_NONE = '        ';
export const MQFMT_STRING = 'MQSTR   ';
export const MQFMT_XMIT_Q_HEADER = 'MQXMIT  ';
export const MQFMT_CICS = 'MQCICS  ';
export const MQFMT_IMS = 'MQIMS   ';
export const MQFMT_RF_HEADER_2 = 'MQHRF2  ';
export const MQFMT_DEAD_LETTER_HEADER = 'MQDEAD  ';

/** Byte-field lengths. */
export const MQ_MSG_ID_LENGTH = 24;
export const MQ_CORREL_ID_LENGTH = 24;
export const MQ_GROUP_ID_LENGTH = 24;
export const MQ_ACCOUNTING_TOKEN_LENGTH = 32;
export const MQ_Q_NAME_LENGTH = 48;
export const MQ_Q_MGR_NAME_LENGTH = 48;
