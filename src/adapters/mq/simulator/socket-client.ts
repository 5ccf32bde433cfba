import { createConnection, type Socket } from 'node:net';
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
} from '../client.js';
import { MQCC_FAILED } from '../constants.js';
import type { MqMd } from '../md.js';
import { MQRC } from '../reason-codes.js';
import { LineReader, mdFromWire, mdToWire, type Response, type WireMd } from './protocol.js';

/** `host(port)`, or several comma-separated, as MQSERVER/CONNAME write them. */
export function parseConnectionName(connection: string): { host: string; port: number }[] {
  return connection.split(',').map((part) => {
    const match = /^\s*([^()\s]+)\s*(?:\((\d+)\))?\s*$/.exec(part);
    if (!match) throw new RangeError(`connection name ${JSON.stringify(part)}: expected host(port)`);
    return { host: match[1]!, port: match[2] ? Number(match[2]) : 1414 };
  });
}

/** The MqClient that talks to an MQI simulator process over its socket. */
export class SimulatorMqClient implements MqClient {
  async connect(options: MqConnectOptions): Promise<MqConnection> {
    if (!options.connection) {
      throw new MqiError(
        MQCC_FAILED,
        MQRC.HOST_NOT_AVAILABLE,
        'CONNX',
        'the MQI simulator is reached over a client connection: set conn',
      );
    }
    let lastError: unknown;
    for (const { host, port } of parseConnectionName(options.connection)) {
      try {
        const socket = await openSocket(host, port);
        const connection = new SimulatorConnection(socket);
        try {
          await connection.call('CONNX', {
            op: 'connect',
            queueManager: options.queueManager,
            applName: options.applName ?? 'signalbox',
          });
        } catch (error) {
          socket.destroy();
          throw error;
        }
        return connection;
      } catch (error) {
        lastError = error;
      }
    }
    if (lastError instanceof MqiError) throw lastError;
    throw new MqiError(MQCC_FAILED, MQRC.HOST_NOT_AVAILABLE, 'CONNX', `${options.connection}: ${describe(lastError)}`);
  }
}

function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

class SimulatorConnection implements MqConnection {
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; verb: string }
  >();
  private nextId = 1;
  private broken: string | undefined;

  constructor(private readonly socket: Socket) {
    const reader = new LineReader((message) => {
      const response = message as Response;
      const waiting = this.pending.get(response.id);
      if (!waiting) return;
      this.pending.delete(response.id);
      if (response.ok) waiting.resolve(response.result);
      else waiting.reject(new MqiError(response.compCode, response.reason, waiting.verb, response.detail));
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) => (this.broken ??= error.message));
    socket.on('close', () => {
      this.broken ??= 'the simulator closed the connection';
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(new MqiError(MQCC_FAILED, MQRC.CONNECTION_BROKEN, waiting.verb, this.broken));
      }
    });
  }

  call<T>(verb: string, request: Record<string, unknown>): Promise<T> {
    if (this.broken !== undefined) {
      return Promise.reject(new MqiError(MQCC_FAILED, MQRC.CONNECTION_BROKEN, verb, this.broken));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, verb });
      this.socket.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  async open(od: MqObjectDescriptor, options: number): Promise<MqHandle> {
    return this.call<MqHandle>('OPEN', { op: 'open', od, options });
  }

  async put(handle: MqHandle, md: Partial<MqMd>, pmo: MqPutOptions, body: Buffer): Promise<MqMd> {
    const result = await this.call<{ md: WireMd }>('PUT', {
      op: 'put',
      handle: handle.id,
      md: mdToWire(md),
      options: pmo.options,
      body: body.toString('base64'),
    });
    return mdFromWire(result.md);
  }

  async get(handle: MqHandle, match: Partial<MqMd>, gmo: MqGetOptions, maxLength?: number): Promise<MqGetResult> {
    const result = await this.call<{ md: WireMd; body: string }>('GET', {
      op: 'get',
      handle: handle.id,
      match: mdToWire(match),
      options: gmo.options,
      matchOptions: gmo.matchOptions ?? 0,
      waitInterval: gmo.waitInterval ?? 0,
      ...(maxLength === undefined ? {} : { maxLength }),
    });
    return { md: mdFromWire(result.md), body: Buffer.from(result.body, 'base64') };
  }

  async commit(): Promise<void> {
    await this.call('CMIT', { op: 'commit' });
  }

  async backout(): Promise<void> {
    await this.call('BACK', { op: 'backout' });
  }

  async close(handle: MqHandle, options = 0): Promise<void> {
    await this.call('CLOSE', { op: 'close', handle: handle.id, options });
  }

  async inquire(handle: MqHandle, selectors: readonly number[]): Promise<Map<number, number | string>> {
    const entries = await this.call<[number, number | string][]>('INQ', {
      op: 'inquire',
      handle: handle.id,
      selectors,
    });
    return new Map(entries);
  }

  async disconnect(): Promise<void> {
    try {
      // A call still waiting (an MQGET's wait) would hold the DISC back: closing the socket ends
      // the connection at once, and the simulator backs its work out as for any dropped client.
      if (this.broken === undefined && this.pending.size === 0) await this.call('DISC', { op: 'disconnect' });
    } finally {
      this.broken ??= 'disconnected';
      this.socket.destroy();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
