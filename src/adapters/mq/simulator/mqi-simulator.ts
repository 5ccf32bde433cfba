import type { MqObjectDescriptor } from '../client.js';
import {
  MQCO_DELETE,
  MQCO_DELETE_PURGE,
  MQFMT_XMIT_Q_HEADER,
  MQGMO_ACCEPT_TRUNCATED_MSG,
  MQGMO_FAIL_IF_QUIESCING,
  MQGMO_SYNCPOINT,
  MQGMO_WAIT,
  MQMO_MATCH_CORREL_ID,
  MQMO_MATCH_GROUP_ID,
  MQMO_MATCH_MSG_ID,
  MQMO_MATCH_MSG_SEQ_NUMBER,
  MQOO_INPUT_ANY,
  MQOO_INQUIRE,
  MQOO_OUTPUT,
  MQPER_NOT_PERSISTENT,
  MQPER_PERSISTENCE_AS_Q_DEF,
  MQPMO_NEW_CORREL_ID,
  MQPMO_NEW_MSG_ID,
  MQPMO_SYNCPOINT,
  MQPRI_PRIORITY_AS_Q_DEF,
  MQWI_UNLIMITED,
} from '../constants.js';
import { MQXQH } from '../headers/structures.js';
import { defaultMd, isNone, type MqMd } from '../md.js';
import { MQRC } from '../reason-codes.js';
import { queueAttributes } from './attributes.js';
import { definitionProblem, standardDefinitions, type QueueDefinition } from './definitions.js';
import { matches } from './matching.js';
import { resolveObject } from './resolve-object.js';
import { SimulatedQueue, type StoredMessage } from './simulated-queue.js';
import {
  SimulatedFailure,
  type Faults,
  type GetResult,
  type OpenHandle,
  type SimulatedConnection,
  type Waiter,
} from './simulator-types.js';

export { SimulatedFailure } from './simulator-types.js';
export type { Faults, GetResult, SimulatedConnection } from './simulator-types.js';

/**
 * The objects and MQI semantics the simulator follows (IBM's documented behaviour for each call):
 * queues (local, alias, remote definitions through transmission queues, model queues making
 * dynamic queues), MsgId/CorrelId generation, MatchOptions, MQGMO_WAIT, syncpoint units of work
 * with backout counts, and reason codes. It is a simulator for tests and trials, not a queue
 * manager: it keeps everything in memory and implements only what the adapter uses.
 */
export class MqiSimulator {
  readonly queues = new Map<string, SimulatedQueue>();
  readonly faults: Faults = { breakOnGet: new Set() };
  available = true;
  private readonly connections = new Map<number, SimulatedConnection>();
  private readonly waiters = new Map<SimulatedQueue, Waiter[]>();
  private nextConnection = 1;
  private nextHandle = 1;
  private nextSeq = 1;
  private idCounter: bigint;

  constructor(
    readonly queueManagerName: string,
    definitions: readonly QueueDefinition[] = [],
    /** Called when a connection must be dropped by force (a fault); the server closes its socket. */
    private readonly dropConnection: (connection: number) => void = () => undefined,
  ) {
    // Ids stay unique across restarts of the simulator: the counter starts from the clock.
    this.idCounter = BigInt(Date.now()) * 1000n;
    for (const definition of [...standardDefinitions, ...definitions]) this.define(definition);
  }

  // ---- administration -------------------------------------------------------------------

  define(definition: QueueDefinition): void {
    const problem = definitionProblem(definition);
    if (problem) throw new SimulatedFailure(MQRC.OPTIONS_ERROR, problem);
    const existing = this.queues.get(definition.name);
    if (existing) existing.definition = definition;
    else this.queues.set(definition.name, new SimulatedQueue(definition));
    this.wake(this.queues.get(definition.name)!);
  }

  deleteQueue(name: string): void {
    this.queues.delete(name);
  }

  /** Queue manager down: calls waiting fail (2161 quiescing or 2162 stopping), every connection ends. */
  stop(mode: 'quiesce' | 'immediate'): void {
    this.available = false;
    const reason = mode === 'quiesce' ? MQRC.Q_MGR_QUIESCING : MQRC.Q_MGR_STOPPING;
    for (const [queue, list] of this.waiters) {
      this.waiters.delete(queue);
      for (const waiter of list) waiter.fail(new SimulatedFailure(reason, 'the simulator is stopping'));
    }
    const ending = [...this.connections.values()];
    for (const connection of ending) this.disconnect(connection);
    // The sockets close a moment later, so the answers just given (2161, 2162) reach their callers.
    setTimeout(() => ending.forEach((connection) => this.dropConnection(connection.id)), 20);
  }

  start(): void {
    this.available = true;
  }

  /** Breaks every client connection now (their uncommitted work is backed out). */
  breakConnections(): void {
    for (const connection of [...this.connections.values()]) {
      this.disconnect(connection);
      this.dropConnection(connection.id);
    }
  }

  // ---- MQCONN / MQDISC ------------------------------------------------------------------

  connect(queueManager: string, applName: string): SimulatedConnection {
    if (!this.available) throw new SimulatedFailure(MQRC.Q_MGR_NOT_AVAILABLE, 'the simulator is stopped');
    if (queueManager && queueManager !== this.queueManagerName && queueManager !== '*') {
      throw new SimulatedFailure(
        MQRC.Q_MGR_NAME_ERROR,
        `this simulator is ${this.queueManagerName}, not ${queueManager}`,
      );
    }
    const connection: SimulatedConnection = {
      id: this.nextConnection++,
      applName: applName.slice(0, 28),
      handles: new Map(),
      uow: { gets: [], puts: [] },
      closed: false,
    };
    this.connections.set(connection.id, connection);
    return connection;
  }

  /** MQDISC, or a dropped connection: uncommitted work is backed out, temporary dynamic queues go. */
  disconnect(connection: SimulatedConnection): void {
    if (connection.closed) return;
    this.backout(connection);
    connection.closed = true;
    for (const handle of connection.handles.values()) this.release(handle);
    connection.handles.clear();
    this.connections.delete(connection.id);
    for (const list of this.waiters.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.connection === connection) list.splice(i, 1);
    }
    for (const queue of [...this.queues.values()]) {
      if (queue.owner === connection.id && queue.definition.definitionType === 'temporary')
        this.queues.delete(queue.name);
    }
  }

  private live(connection: SimulatedConnection): void {
    if (connection.closed || !this.connections.has(connection.id)) {
      throw new SimulatedFailure(MQRC.CONNECTION_BROKEN, 'the connection has ended');
    }
    if (!this.available) throw new SimulatedFailure(MQRC.Q_MGR_STOPPING, 'the simulator is stopping');
  }

  // ---- MQOPEN / MQCLOSE -----------------------------------------------------------------

  open(connection: SimulatedConnection, od: MqObjectDescriptor, options: number): OpenHandle {
    this.live(connection);
    const resolved = resolveObject(this.queues, this.queueManagerName, od, options, connection.id);
    if (options & MQOO_INPUT_ANY) resolved.queue.openInputCount++;
    const handle: OpenHandle = { id: this.nextHandle++, options, ...resolved };
    connection.handles.set(handle.id, handle);
    return handle;
  }

  lookup(connection: SimulatedConnection, handleId: number): OpenHandle {
    this.live(connection);
    const handle = connection.handles.get(handleId);
    if (!handle) throw new SimulatedFailure(MQRC.HOBJ_ERROR, `no open object ${handleId} on this connection`);
    return handle;
  }

  close(connection: SimulatedConnection, handleId: number, options: number): void {
    const handle = this.lookup(connection, handleId);
    connection.handles.delete(handleId);
    this.release(handle);
    const queue = handle.queue;
    if (
      queue.owner !== undefined &&
      (queue.definition.definitionType === 'temporary' || options & (MQCO_DELETE | MQCO_DELETE_PURGE))
    ) {
      if (queue.definition.definitionType === 'permanent' && !(options & MQCO_DELETE_PURGE) && queue.depth > 0) {
        throw new SimulatedFailure(2055, `queue ${queue.name} is not empty`);
      }
      this.queues.delete(queue.name);
    }
  }

  private release(handle: OpenHandle): void {
    if (handle.options & MQOO_INPUT_ANY) handle.queue.openInputCount--;
  }

  // ---- MQPUT ----------------------------------------------------------------------------

  put(connection: SimulatedConnection, handleId: number, given: Partial<MqMd>, options: number, body: Buffer): MqMd {
    const handle = this.lookup(connection, handleId);
    if (!(handle.options & MQOO_OUTPUT))
      throw new SimulatedFailure(MQRC.NOT_OPEN_FOR_OUTPUT, `${handle.resolvedName} was not opened for output`);
    const queue = this.queues.get(handle.queue.name) === handle.queue ? handle.queue : undefined;
    if (!queue) throw new SimulatedFailure(2052, `queue ${handle.resolvedName} was deleted`);
    const md: MqMd = { ...defaultMd(), ...given };
    if (isNone(md.MsgId) || options & MQPMO_NEW_MSG_ID) md.MsgId = this.newId();
    if (options & MQPMO_NEW_CORREL_ID) md.CorrelId = this.newId();
    if (md.Priority === MQPRI_PRIORITY_AS_Q_DEF) md.Priority = 0;
    if (md.Persistence === MQPER_PERSISTENCE_AS_Q_DEF) md.Persistence = MQPER_NOT_PERSISTENT;
    const now = new Date();
    md.PutDate = now.toISOString().slice(0, 10).replace(/-/g, '');
    md.PutTime = now.toISOString().slice(11, 22).replace(/[:.]/g, '');
    md.PutApplName = connection.applName;
    md.BackoutCount = 0;
    let stored = { md, body };
    if (handle.remote) {
      // On its way to another queue manager: the message waits on the transmission queue behind an MQXQH.
      const xqh = MQXQH.pack(
        {
          StrucId: 'XQH ',
          Version: 1,
          RemoteQName: handle.remote.queue,
          RemoteQMgrName: handle.remote.queueManager,
          MsgDesc: { ...md, StrucId: 'MD  ', Version: 1 },
        },
        md.Encoding,
      );
      stored = { md: { ...md, Format: MQFMT_XMIT_Q_HEADER }, body: Buffer.concat([xqh, body]) };
    }
    this.accept(queue, stored.body.length);
    const message: StoredMessage = { seq: this.nextSeq++, md: stored.md, body: stored.body };
    if (options & MQPMO_SYNCPOINT) {
      connection.uow.puts.push({ queue, message });
      queue.uncommittedPuts++;
    } else {
      queue.insert(message);
      this.wake(queue);
    }
    return { ...md };
  }

  private accept(queue: SimulatedQueue, length: number): void {
    const definition = queue.definition;
    if (definition.putInhibited) throw new SimulatedFailure(MQRC.PUT_INHIBITED, `puts to ${queue.name} are inhibited`);
    if (queue.depth >= (definition.maxDepth ?? 5_000)) throw new SimulatedFailure(MQRC.Q_FULL, `${queue.name} is full`);
    if (length > (definition.maxMessageLength ?? 4 * 1024 * 1024)) {
      throw new SimulatedFailure(MQRC.MSG_TOO_BIG_FOR_Q, `${length} bytes is more than ${queue.name} takes`);
    }
  }

  /** 24 bytes: `AMQ ` + the first 12 characters of the simulator's name + an 8-byte counter. */
  newId(): Buffer {
    const id = Buffer.alloc(24, 0x20);
    id.write('AMQ ', 0, 'latin1');
    id.write(this.queueManagerName.slice(0, 12), 4, 'latin1');
    id.writeBigUInt64BE(this.idCounter++, 16);
    return id;
  }

  // ---- MQGET ----------------------------------------------------------------------------

  /**
   * MQGET: the first message that matches, in queue order. With MQGMO_WAIT and none there, it
   * waits up to `waitInterval` ms (-1: for ever) for one, then fails with 2033.
   */
  get(
    connection: SimulatedConnection,
    handleId: number,
    match: Partial<MqMd>,
    options: number,
    matchOptions: number,
    waitInterval: number,
    maxLength: number,
  ): Promise<GetResult> {
    const handle = this.lookup(connection, handleId);
    if (!(handle.options & MQOO_INPUT_ANY))
      throw new SimulatedFailure(MQRC.NOT_OPEN_FOR_INPUT, `${handle.resolvedName} was not opened for input`);
    if (options & MQGMO_WAIT && waitInterval < 0 && waitInterval !== MQWI_UNLIMITED) {
      throw new SimulatedFailure(MQRC.WAIT_INTERVAL_ERROR, `wait interval ${waitInterval}`);
    }
    if (matchOptions & ~(MQMO_MATCH_MSG_ID | MQMO_MATCH_CORREL_ID | MQMO_MATCH_GROUP_ID | MQMO_MATCH_MSG_SEQ_NUMBER)) {
      throw new SimulatedFailure(
        MQRC.MATCH_OPTIONS_ERROR,
        `match options ${matchOptions.toString(16)} are not simulated`,
      );
    }
    const queue = handle.queue;
    return new Promise<GetResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const attempt = (): boolean => {
        try {
          if (queue.definition.getInhibited)
            throw new SimulatedFailure(MQRC.GET_INHIBITED, `gets from ${queue.name} are inhibited`);
          const index = queue.messages.findIndex((m) => matches(m.md, match, matchOptions));
          if (index < 0) return false;
          const found = queue.messages[index]!;
          if (found.body.length > maxLength && !(options & MQGMO_ACCEPT_TRUNCATED_MSG)) {
            throw new SimulatedFailure(
              MQRC.TRUNCATED_MSG_FAILED,
              `the message is ${found.body.length} bytes, the buffer ${maxLength}`,
              1,
            );
          }
          const message = queue.take(index);
          if (options & MQGMO_SYNCPOINT) {
            connection.uow.gets.push({ queue, message });
            queue.uncommittedGets++;
          }
          if (timer) clearTimeout(timer);
          if (this.faults.breakOnGet.delete(queue.name)) {
            // The fault: the message was taken, and the connection breaks before it is handed over.
            reject(new SimulatedFailure(MQRC.CONNECTION_BROKEN, 'connection broken during MQGET (injected fault)'));
            this.disconnect(connection);
            this.dropConnection(connection.id);
            return true;
          }
          resolve({ md: { ...message.md }, body: message.body.subarray(0, maxLength) });
          return true;
        } catch (error) {
          if (timer) clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
          return true;
        }
      };
      if (attempt()) return;
      if (!(options & MQGMO_WAIT) || waitInterval === 0) {
        reject(new SimulatedFailure(MQRC.NO_MSG_AVAILABLE, `no message on ${handle.resolvedName}`));
        return;
      }
      const list = this.waiters.get(queue) ?? [];
      this.waiters.set(queue, list);
      const waiter: Waiter = {
        connection,
        attempt,
        fail: (failure) => {
          if (timer) clearTimeout(timer);
          reject(failure);
        },
        failIfQuiescing: (options & MQGMO_FAIL_IF_QUIESCING) !== 0,
      };
      list.push(waiter);
      if (waitInterval !== MQWI_UNLIMITED) {
        timer = setTimeout(() => {
          const at = list.indexOf(waiter);
          if (at >= 0) list.splice(at, 1);
          reject(
            new SimulatedFailure(
              MQRC.NO_MSG_AVAILABLE,
              `no message on ${handle.resolvedName} within ${waitInterval} ms`,
            ),
          );
        }, waitInterval);
      }
    });
  }

  /** Offers a queue's new messages to the gets waiting on it, first come first served. */
  private wake(queue: SimulatedQueue): void {
    const list = this.waiters.get(queue);
    if (!list) return;
    for (let i = 0; i < list.length && queue.messages.length > 0;) {
      if (list[i]!.attempt()) list.splice(i, 1);
      else i++;
    }
  }

  /** A caller whose socket ended while its get waited: its waiter goes. */
  cancelWaits(connection: SimulatedConnection): void {
    for (const list of this.waiters.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.connection === connection) list.splice(i, 1);
    }
  }

  // ---- MQCMIT / MQBACK ------------------------------------------------------------------

  commit(connection: SimulatedConnection): void {
    this.live(connection);
    const { gets, puts } = connection.uow;
    connection.uow = { gets: [], puts: [] };
    for (const { queue } of gets) queue.uncommittedGets--;
    const touched = new Set<SimulatedQueue>();
    for (const { queue, message } of puts) {
      queue.uncommittedPuts--;
      queue.insert(message);
      touched.add(queue);
    }
    for (const queue of touched) this.wake(queue);
  }

  /** Gets go back to their place with BackoutCount + 1; puts are discarded. */
  backout(connection: SimulatedConnection): void {
    const { gets, puts } = connection.uow;
    connection.uow = { gets: [], puts: [] };
    for (const { queue } of puts) queue.uncommittedPuts--;
    const touched = new Set<SimulatedQueue>();
    for (const { queue, message } of gets) {
      queue.uncommittedGets--;
      queue.backedOut++;
      message.md = { ...message.md, BackoutCount: message.md.BackoutCount + 1 };
      if (this.queues.get(queue.name) === queue) {
        queue.insert(message);
        touched.add(queue);
      }
    }
    for (const queue of touched) this.wake(queue);
  }

  // ---- MQINQ ----------------------------------------------------------------------------

  inquire(
    connection: SimulatedConnection,
    handleId: number,
    selectors: readonly number[],
  ): Map<number, number | string> {
    const handle = this.lookup(connection, handleId);
    if (!(handle.options & MQOO_INQUIRE)) {
      throw new SimulatedFailure(2038, `${handle.resolvedName} was not opened for inquire`);
    }
    return queueAttributes(handle, this.queueManagerName, selectors);
  }

  /** For the admin view: a queue's committed messages, in order, without taking them. */
  browse(name: string): StoredMessage[] {
    const queue = this.queues.get(name);
    if (!queue) throw new SimulatedFailure(MQRC.UNKNOWN_OBJECT_NAME, `no queue ${name}`);
    return [...queue.messages];
  }
}
