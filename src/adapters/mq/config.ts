import { z } from 'zod';
import { credentialSchema } from '../../domain/config/index.js';

/** MQ object names: 1-48 of A-Z a-z 0-9 . _ / % (MQ's own alphabet). */
const objectName = z.string().regex(/^[A-Za-z0-9._/%]{1,48}$/, 'an MQ object name: 1-48 of A-Z a-z 0-9 . _ / %');
const hexBytes = (bytes: number) =>
  z.string().regex(new RegExp(`^(?:[0-9A-Fa-f]{2}){1,${bytes}}$`), `hex, at most ${bytes} bytes (${bytes * 2} digits)`);

const connection = {
  client: z
    .enum(['ibmmq', 'simulator'])
    .default('ibmmq')
    .describe(
      '`ibmmq`: IBM MQ through its C client (the `ibmmq` package; needs the MQ redistributable client). `simulator`: the MQI simulator, for tests and trials.',
    ),
  queueManager: z
    .string()
    .regex(/^[A-Za-z0-9._/%]{0,48}$/, 'a queue manager name, at most 48 characters')
    .describe('The queue manager to connect to (empty: the default one, in bindings mode).'),
  channel: z
    .string()
    .regex(/^[A-Za-z0-9._/%]{1,20}$/, 'a channel name, 1-20 characters')
    .optional()
    .describe('Client connection: the server-connection channel (SVRCONN), e.g. DEV.APP.SVRCONN.'),
  conn: z
    .string()
    .regex(/^[^\s(),]+\(\d{1,5}\)(?:,[^\s(),]+\(\d{1,5}\))*$/, 'host(port), or several separated by commas')
    .optional()
    .describe('Client connection: `host(port)` of the listener, several for a multi-instance queue manager.'),
  cipherSpec: z
    .string()
    .min(1)
    .optional()
    .describe('TLS: the channel CipherSpec (e.g. ANY_TLS13_OR_HIGHER); the key repository comes from MQSSLKEYR.'),
  user: z.string().min(1).max(1024).optional().describe('The user id sent with the connection (MQCSP).'),
  password: credentialSchema.optional().describe('The password, as a secret reference.'),
  applName: z.string().max(28).default('signalbox').describe('The application name the queue manager shows.'),
  reconnectInitialDelayMs: z
    .number()
    .int()
    .min(10)
    .default(200)
    .describe(
      'A broken connection (2009, 2059, 2161, 2162, 2538, …) is re-made on the next call; the first retry waits this long, doubling up to reconnectMaxDelayMs.',
    ),
  reconnectMaxDelayMs: z.number().int().min(10).default(10_000).describe('Longest wait between reconnect attempts.'),
};

const connectionRefine = (
  c: { client: string; conn?: string | undefined; channel?: string | undefined },
  ctx: z.RefinementCtx,
) => {
  if (c.conn !== undefined && c.channel === undefined && c.client === 'ibmmq') {
    ctx.addIssue({ code: 'custom', path: ['channel'], message: 'a client connection (conn) needs a channel' });
  }
  if (c.client === 'simulator' && c.conn === undefined) {
    ctx.addIssue({ code: 'custom', path: ['conn'], message: 'the MQI simulator is reached at host(port): set conn' });
  }
};

export const mqMatchSchema = z
  .object({
    msgId: hexBytes(24).optional().describe('Only messages with this MsgId (MQMO_MATCH_MSG_ID).'),
    correlId: hexBytes(24).optional().describe('Only messages with this CorrelId (MQMO_MATCH_CORREL_ID).'),
    groupId: hexBytes(24).optional().describe('Only messages of this group (MQMO_MATCH_GROUP_ID).'),
    msgSeqNumber: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Only this sequence number in its group (MQMO_MATCH_MSG_SEQ_NUMBER).'),
  })
  .strict();
export type MqMatch = z.output<typeof mqMatchSchema>;

export const mqReceiveConfigSchema = z
  .object({
    ...connection,
    queue: objectName.describe('The local, alias or transmission queue to receive from.'),
    waitIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1_000)
      .describe(
        'How long each MQGET waits for a message (MQGMO_WAIT, WaitInterval); also bounds how long a stop takes.',
      ),
    transactional: z
      .boolean()
      .default(true)
      .describe(
        'MQGET under syncpoint, MQCMIT only after the engine stored the message; a crash in between leaves it on the queue. false: MQGET without syncpoint (a message whose submit fails is put back at the end of the queue).',
      ),
    match: mqMatchSchema.optional().describe('Receive selectively: MatchOptions built from the fields given.'),
    ordered: z
      .boolean()
      .default(false)
      .describe(
        'One receiver at a time (under a lease), one message at a time, in queue order; the queue is opened exclusively.',
      ),
    maxMessageBytes: z
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe('The largest message taken; a larger one fails with 2080 and stays on the queue.'),
    parseHeaders: z
      .boolean()
      .default(true)
      .describe(
        'Read MQXQH, MQCIH, MQIIH, MQRFH2 and MQDLH headers into context properties and hand on only the data after them.',
      ),
    retryDelayMs: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('After a failed submit the message is backed out; the next MQGET waits this long.'),
    contentType: z.string().min(1).optional().describe('The content type of every message received.'),
  })
  .superRefine(connectionRefine);
export type MqReceiveConfig = z.output<typeof mqReceiveConfigSchema>;

export const mqSendConfigSchema = z
  .object({
    ...connection,
    queue: objectName
      .optional()
      .describe(
        'The queue to put to: local, alias, remote definition, model (a dynamic queue is made) or transmission queue.',
      ),
    remoteQueueManager: objectName
      .optional()
      .describe('Put to `queue` on this other queue manager (through the transmission queue named after it).'),
    toReplyQueue: z
      .boolean()
      .default(false)
      .describe(
        'Put to the MQMD.ReplyToQ / ReplyToQMgr of the message (a reply to a request); `queue` is then the fallback.',
      ),
    dynamicQueueName: z
      .string()
      .regex(/^[A-Za-z0-9._/%]{1,47}\*?$/, 'a name or a prefix ending in *')
      .default('SIGNALBOX.*')
      .describe(
        'When `queue` is a model queue: the DynamicQName of the queue made from it; the name made is returned as MQ.DynamicQueueName.',
      ),
    transactional: z
      .boolean()
      .default(true)
      .describe(
        'MQPUT under syncpoint, committed only once the whole send succeeded (a failed send leaves nothing on the queue).',
      ),
    msgId: z
      .enum(['engine', 'mq', 'context'])
      .default('engine')
      .describe(
        'MsgId: `engine` derives it from the message id and port (a retried send carries the same MsgId), `mq` lets MQ make one, `context` takes MQMD.MsgId.',
      ),
    correlId: z
      .enum(['context', 'requestMsgId', 'mq', 'none'])
      .default('context')
      .describe(
        'CorrelId: MQMD.CorrelId of the message, the MQMD.MsgId of the request it answers (a reply), one made by MQ, or none.',
      ),
    format: z
      .string()
      .max(8)
      .default('MQSTR')
      .describe('MQMD.Format of the data, unless MQMD.Format is in the context.'),
    persistence: z.enum(['queue', 'persistent', 'not-persistent']).default('queue').describe('MQMD.Persistence.'),
    priority: z.number().int().min(-1).max(9).optional().describe('MQMD.Priority (-1: as the queue says).'),
    expiryMs: z.number().int().min(100).optional().describe('MQMD.Expiry, in ms (MQ counts tenths of seconds).'),
    replyToQueue: objectName.optional().describe('MQMD.ReplyToQ of messages sent (a request).'),
    replyToQueueManager: objectName.optional().describe('MQMD.ReplyToQMgr.'),
    requestReply: z
      .object({
        replyQueue: objectName.describe(
          'Where the reply comes: a local queue, or a model queue (a temporary dynamic queue per port).',
        ),
        timeoutMs: z.number().int().min(100).default(30_000).describe('How long to wait for the reply.'),
      })
      .strict()
      .optional()
      .describe(
        'Solicit-response: put a request (MsgType REQUEST, ReplyToQ set) and wait for the reply whose CorrelId is the request MsgId.',
      ),
    transmissionHeader: z
      .boolean()
      .default(false)
      .describe(
        '`queue` is a transmission queue: put the message behind an MQXQH made from MQXQH.RemoteQName / RemoteQMgrName.',
      ),
    maxMessageBytes: z
      .number()
      .int()
      .min(1)
      .max(100 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe('Largest body sent.'),
  })
  .superRefine((c, ctx) => {
    connectionRefine(c, ctx);
    if (c.queue === undefined && !c.toReplyQueue) {
      ctx.addIssue({ code: 'custom', path: ['queue'], message: 'a send needs a queue (or toReplyQueue)' });
    }
  });
export type MqSendConfig = z.output<typeof mqSendConfigSchema>;
export type MqConnectionConfig = Pick<
  MqSendConfig,
  | 'client'
  | 'queueManager'
  | 'channel'
  | 'conn'
  | 'cipherSpec'
  | 'user'
  | 'password'
  | 'applName'
  | 'reconnectInitialDelayMs'
  | 'reconnectMaxDelayMs'
>;
