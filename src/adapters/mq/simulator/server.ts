import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { QueueDefinition } from './definitions.js';
import { MqiSimulator, SimulatedFailure, type SimulatedConnection } from './mqi-simulator.js';
import { LineReader, mdToWire, partialMdFromWire, type Request, type Response } from './protocol.js';

export interface SimulatorServerOptions {
  readonly queueManagerName: string;
  readonly host?: string;
  readonly port?: number;
  readonly definitions?: readonly QueueDefinition[];
}

/**
 * The MQI simulator's socket server: each client socket may hold one simulated connection (after
 * its `connect`); when the socket ends, that connection's uncommitted work is backed out, as a
 * queue manager does for a client whose channel drops. `admin.*` calls define queues, look at
 * them and inject faults; they need no connection.
 */
export class SimulatorServer {
  readonly simulator: MqiSimulator;
  private readonly server: Server;
  private readonly sockets = new Map<number, Socket>();

  constructor(private readonly options: SimulatorServerOptions) {
    this.simulator = new MqiSimulator(options.queueManagerName, options.definitions ?? [], (id) => {
      this.sockets.get(id)?.destroy();
      this.sockets.delete(id);
    });
    this.server = createServer((socket) => this.serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.simulator.stop('immediate');
    for (const socket of this.sockets.values()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    socket.setNoDelay(true);
    let connection: SimulatedConnection | undefined;
    // Calls on one socket are handled one after another, as calls on one MQI connection are.
    let chain: Promise<void> = Promise.resolve();
    const send = (response: Response) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
    };
    const reader = new LineReader((message) => {
      const request = message as Request;
      chain = chain.then(async () => {
        try {
          const result = await this.handle(request, connection, (made) => {
            connection = made;
            this.sockets.set(made.id, socket);
          });
          send({ id: request.id, ok: true, result });
        } catch (error) {
          if (error instanceof SimulatedFailure) {
            send({ id: request.id, ok: false, compCode: error.compCode, reason: error.reason, detail: error.message });
          } else {
            send({ id: request.id, ok: false, compCode: 2, reason: 2195, detail: String(error) });
          }
        }
      });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    const ended = () => {
      if (connection) {
        this.simulator.cancelWaits(connection);
        this.simulator.disconnect(connection);
        this.sockets.delete(connection.id);
      }
    };
    socket.on('close', ended);
    socket.on('error', () => undefined);
  }

  private async handle(
    request: Request,
    connection: SimulatedConnection | undefined,
    connected: (connection: SimulatedConnection) => void,
  ): Promise<unknown> {
    const simulator = this.simulator;
    const need = () => {
      if (!connection) throw new SimulatedFailure(2018, 'not connected');
      return connection;
    };
    switch (request.op) {
      case 'connect': {
        if (connection) throw new SimulatedFailure(2002, 'already connected');
        const made = simulator.connect(str(request.queueManager), str(request.applName));
        connected(made);
        return { queueManager: simulator.queueManagerName };
      }
      case 'disconnect':
        if (connection) simulator.disconnect(connection);
        return null;
      case 'open': {
        const handle = simulator.open(need(), request.od as { name: string }, Number(request.options));
        return { id: handle.id, resolvedName: handle.resolvedName, resolvedQueueManager: handle.resolvedQueueManager };
      }
      case 'close':
        simulator.close(need(), Number(request.handle), Number(request.options ?? 0));
        return null;
      case 'put': {
        const md = simulator.put(
          need(),
          Number(request.handle),
          partialMdFromWire(request.md),
          Number(request.options),
          Buffer.from(str(request.body), 'base64'),
        );
        return { md: mdToWire(md) };
      }
      case 'get': {
        const result = await simulator.get(
          need(),
          Number(request.handle),
          partialMdFromWire(request.match),
          Number(request.options),
          Number(request.matchOptions ?? 0),
          Number(request.waitInterval ?? 0),
          Number(request.maxLength ?? Number.MAX_SAFE_INTEGER),
        );
        return { md: mdToWire(result.md), body: result.body.toString('base64') };
      }
      case 'commit':
        simulator.commit(need());
        return null;
      case 'backout':
        simulator.backout(need());
        return null;
      case 'inquire':
        return [...simulator.inquire(need(), Number(request.handle), request.selectors as number[]).entries()];
      case 'admin.define':
        simulator.define(request.queue as QueueDefinition);
        return null;
      case 'admin.delete':
        simulator.deleteQueue(String(request.name));
        return null;
      case 'admin.queues':
        return [...simulator.queues.values()].map((q) => ({
          name: q.name,
          type: q.definition.type,
          depth: q.depth,
          committed: q.messages.length,
          backedOut: q.backedOut,
        }));
      case 'admin.browse':
        return simulator
          .browse(String(request.name))
          .map((m) => ({ md: mdToWire(m.md), body: m.body.toString('base64') }));
      case 'admin.breakConnections':
        simulator.breakConnections();
        return null;
      case 'admin.breakOnGet':
        simulator.faults.breakOnGet.add(String(request.queue));
        return null;
      case 'admin.stop':
        simulator.stop(request.mode === 'quiesce' ? 'quiesce' : 'immediate');
        return null;
      case 'admin.start':
        simulator.start();
        return null;
      default:
        throw new SimulatedFailure(2046, `unknown call ${JSON.stringify(request.op)}`);
    }
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
