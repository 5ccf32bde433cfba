import type { MqMd } from './md.js';
import { reasonInfo } from './reason-codes.js';

/**
 * The MQI calls the adapter makes, behind one interface: the real implementation wraps the
 * `ibmmq` package (IBM's C client), the MQI simulator's socket client implements the same calls
 * for tests and trials. Semantics are the MQI's; failures are `MqiError` with IBM's reason codes.
 */
export interface MqClient {
  connect(options: MqConnectOptions): Promise<MqConnection>;
}

export interface MqConnectOptions {
  readonly queueManager: string;
  /** Client connection: the server-connection channel and `host(port)` list. */
  readonly channel?: string;
  readonly connection?: string;
  readonly cipherSpec?: string;
  readonly user?: string;
  readonly password?: string;
  readonly applName?: string;
}

/** MQOD: the object to open; `queueManager` names a remote one, `dynamicQName` applies to model queues. */
export interface MqObjectDescriptor {
  readonly name: string;
  readonly queueManager?: string;
  readonly dynamicQName?: string;
}

export interface MqHandle {
  readonly id: number;
  /** The queue name resolved by the open: the generated name of a dynamic queue, else the name opened. */
  readonly resolvedName: string;
  readonly resolvedQueueManager: string;
}

/** MQGMO: Options, WaitInterval (ms, -1 unlimited) and MatchOptions. */
export interface MqGetOptions {
  readonly options: number;
  readonly waitInterval?: number;
  readonly matchOptions?: number;
}

export interface MqPutOptions {
  readonly options: number;
}

export interface MqGetResult {
  readonly md: MqMd;
  readonly body: Buffer;
}

export interface MqConnection {
  open(od: MqObjectDescriptor, options: number): Promise<MqHandle>;
  /** MQPUT; returns the descriptor as the queue manager completed it (MsgId, PutDate, …). */
  put(handle: MqHandle, md: Partial<MqMd>, pmo: MqPutOptions, body: Buffer): Promise<MqMd>;
  /** MQGET; `match` carries the MsgId/CorrelId/GroupId/MsgSeqNumber the MatchOptions select on. */
  get(handle: MqHandle, match: Partial<MqMd>, gmo: MqGetOptions, maxLength?: number): Promise<MqGetResult>;
  commit(): Promise<void>;
  backout(): Promise<void>;
  close(handle: MqHandle, options?: number): Promise<void>;
  /** MQINQ: integer (MQIA_*) and character (MQCA_*) attributes by selector. */
  inquire(handle: MqHandle, selectors: readonly number[]): Promise<Map<number, number | string>>;
  /** MQDISC: uncommitted work is backed out. */
  disconnect(): Promise<void>;
}

/** An MQI call failed: completion code, reason code and the call. */
export class MqiError extends Error {
  override readonly name = 'MqiError';

  constructor(
    readonly compCode: number,
    readonly reason: number,
    readonly verb: string,
    detail?: string,
  ) {
    super(`${verb}: ${reasonInfo(reason).name} (${reason})${detail ? `: ${detail}` : ''}`);
  }

  get reasonName(): string {
    return reasonInfo(this.reason).name;
  }
}
