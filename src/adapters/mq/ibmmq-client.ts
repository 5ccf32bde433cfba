import { setTimeout as sleep } from 'node:timers/promises';
import {
  MqiError,
  type MqClient,
  type MqConnectOptions,
  type MqConnection,
  type MqGetOptions,
  type MqGetResult,
  type MqHandle,
  type MqObjectDescriptor,
  type MqPutOptions,
} from './client.js';
import { MQCC_FAILED, MQGMO_WAIT, MQWI_UNLIMITED } from './constants.js';
import { defaultMd, type MqMd } from './md.js';
import { MQRC } from './reason-codes.js';
import { loadIbmMq } from './load-ibmmq.js';

/* The parts of the `ibmmq` package used here (its own type definitions do not compile strictly). */
type Callback<T> = (error: unknown, value: T) => void;
interface IbmMqModule {
  MQCNO: new () => Record<string, unknown>;
  MQCD: new () => Record<string, unknown>;
  MQCSP: new () => Record<string, unknown>;
  MQSCO: new () => Record<string, unknown>;
  MQOD: new () => Record<string, unknown>;
  MQMD: new () => Record<string, unknown>;
  MQPMO: new () => Record<string, unknown>;
  MQGMO: new () => Record<string, unknown>;
  MQAttr: new (selector: number) => { selector: number; value: unknown };
  MQC: Record<string, number>;
  Connx(qm: string, cno: unknown, cb: Callback<unknown>): void;
  Disc(hConn: unknown, cb: Callback<unknown>): void;
  Open(hConn: unknown, od: unknown, options: number, cb: Callback<unknown>): void;
  Close(hObj: unknown, options: number, cb: Callback<unknown>): void;
  Put(hObj: unknown, md: unknown, pmo: unknown, body: Buffer, cb: Callback<unknown>): void;
  GetSync(hObj: unknown, md: unknown, gmo: unknown, buffer: Buffer, cb: Callback<number>): void;
  Cmit(hConn: unknown, cb: Callback<unknown>): void;
  Back(hConn: unknown, cb: Callback<unknown>): void;
  Inq(hObj: unknown, selectors: unknown[], cb: Callback<{ selector: number; value: unknown }[]>): void;
}

/** The poll step of a waiting get: GetSync blocks the event loop, so waits are taken in short non-waiting polls. */
const POLL_MS = 100;

function call<T>(verb: string, run: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      run((error, value) => (error ? reject(translate(error, verb)) : resolve(value)));
    } catch (error) {
      reject(translate(error, verb));
    }
  });
}

function translate(error: unknown, verb: string): Error {
  if (error && typeof error === 'object' && 'mqrc' in error) {
    const e = error as { mqcc?: number; mqrc: number };
    return new MqiError(e.mqcc ?? MQCC_FAILED, e.mqrc, verb);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

/**
 * The MqClient over IBM's C client, through the `ibmmq` package (loaded on first connect).
 * A waiting MQGET is done as a series of non-waiting ones, POLL_MS apart, up to the wait
 * interval: the package's synchronous get would hold the event loop (and lease renewals) for the
 * whole wait, and its asynchronous get is a callback consumer that does not fit one get per call.
 */
export class IbmMqClient implements MqClient {
  async connect(options: MqConnectOptions): Promise<MqConnection> {
    const mq = loadIbmMq() as IbmMqModule;
    const cno = new mq.MQCNO();
    if (options.connection) {
      const cd = new mq.MQCD();
      cd.ConnectionName = options.connection;
      cd.ChannelName = options.channel ?? '';
      if (options.cipherSpec) {
        cd.SSLCipherSpec = options.cipherSpec;
        cno.SSLConfig = new mq.MQSCO();
      }
      cno.ClientConn = cd;
      cno.Options = mq.MQC.MQCNO_CLIENT_BINDING;
    }
    if (options.user) {
      const csp = new mq.MQCSP();
      csp.UserId = options.user;
      csp.Password = options.password ?? '';
      cno.SecurityParms = csp;
    }
    if (options.applName) cno.ApplName = options.applName;
    const hConn = await call<unknown>('CONNX', (cb) => mq.Connx(options.queueManager, cno, cb));
    return new IbmMqConnection(mq, hConn, options.queueManager);
  }
}

class IbmMqConnection implements MqConnection {
  private readonly objects = new Map<number, unknown>();
  private nextId = 1;

  constructor(
    private readonly mq: IbmMqModule,
    private readonly hConn: unknown,
    private readonly queueManager: string,
  ) {}

  async open(od: MqObjectDescriptor, options: number): Promise<MqHandle> {
    const mqod = new this.mq.MQOD();
    mqod.ObjectName = od.name;
    if (od.queueManager) mqod.ObjectQMgrName = od.queueManager;
    if (od.dynamicQName) mqod.DynamicQName = od.dynamicQName;
    const hObj = await call<unknown>('OPEN', (cb) => this.mq.Open(this.hConn, mqod, options, cb));
    const id = this.nextId++;
    this.objects.set(id, hObj);
    // For a model queue MQ returns the dynamic queue's name in ObjectName.
    const resolved = text(mqod.ObjectName, od.name);
    return { id, resolvedName: resolved, resolvedQueueManager: text(mqod.ResolvedQMgrName, this.queueManager) };
  }

  private object(handle: MqHandle): unknown {
    const hObj = this.objects.get(handle.id);
    if (hObj === undefined) throw new MqiError(MQCC_FAILED, MQRC.HOBJ_ERROR, 'HOBJ');
    return hObj;
  }

  async put(handle: MqHandle, md: Partial<MqMd>, pmo: MqPutOptions, body: Buffer): Promise<MqMd> {
    const mqmd = Object.assign(new this.mq.MQMD(), md);
    const mqpmo = new this.mq.MQPMO();
    mqpmo.Options = pmo.options;
    await call('PUT', (cb) => this.mq.Put(this.object(handle), mqmd, mqpmo, body, cb));
    return fromPackage(mqmd);
  }

  async get(
    handle: MqHandle,
    match: Partial<MqMd>,
    gmo: MqGetOptions,
    maxLength = 4 * 1024 * 1024,
  ): Promise<MqGetResult> {
    const wait = (gmo.options & MQGMO_WAIT) !== 0;
    const interval = gmo.waitInterval ?? 0;
    const deadline = interval === MQWI_UNLIMITED ? Number.POSITIVE_INFINITY : Date.now() + interval;
    for (;;) {
      const mqmd = Object.assign(new this.mq.MQMD(), match);
      const mqgmo = new this.mq.MQGMO();
      mqgmo.Options = gmo.options & ~MQGMO_WAIT;
      mqgmo.MatchOptions = gmo.matchOptions ?? 0;
      const buffer = Buffer.alloc(maxLength);
      try {
        const length = await call<number>('GET', (cb) => this.mq.GetSync(this.object(handle), mqmd, mqgmo, buffer, cb));
        return { md: fromPackage(mqmd), body: Buffer.from(buffer.subarray(0, length)) };
      } catch (error) {
        const noMessage = error instanceof MqiError && error.reason === MQRC.NO_MSG_AVAILABLE;
        if (!noMessage || !wait || Date.now() >= deadline) throw error;
        await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }

  async commit(): Promise<void> {
    await call('CMIT', (cb) => this.mq.Cmit(this.hConn, cb));
  }

  async backout(): Promise<void> {
    await call('BACK', (cb) => this.mq.Back(this.hConn, cb));
  }

  async close(handle: MqHandle, options = 0): Promise<void> {
    const hObj = this.object(handle);
    this.objects.delete(handle.id);
    await call('CLOSE', (cb) => this.mq.Close(hObj, options, cb));
  }

  async inquire(handle: MqHandle, selectors: readonly number[]): Promise<Map<number, number | string>> {
    const attrs = selectors.map((s) => new this.mq.MQAttr(s));
    const answered = await call<{ selector: number; value: unknown }[]>('INQ', (cb) =>
      this.mq.Inq(this.object(handle), attrs, cb),
    );
    return new Map(answered.map((a) => [a.selector, typeof a.value === 'number' ? a.value : String(a.value).trim()]));
  }

  async disconnect(): Promise<void> {
    await call('DISC', (cb) => this.mq.Disc(this.hConn, cb));
  }
}

function fromPackage(mqmd: Record<string, unknown>): MqMd {
  const md = defaultMd() as unknown as Record<string, unknown>;
  for (const name of Object.keys(md)) {
    const value = mqmd[name];
    if (value === undefined || value === null) continue;
    md[name] = Buffer.isBuffer(value) ? Buffer.from(value) : value;
  }
  return md as unknown as MqMd;
}
