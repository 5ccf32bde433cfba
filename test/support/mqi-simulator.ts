import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueueDefinition } from '../../src/adapters/mq/simulator/definitions.js';
import { LineReader, mdFromWire, type Response, type WireMd } from '../../src/adapters/mq/simulator/protocol.js';
import type { MqMd } from '../../src/adapters/mq/md.js';
import { killAtExit, stopProcess } from '../../bench/support/server-process.js';
import { tempDir } from './temp-dir.js';

const MAIN = fileURLToPath(new URL('../../src/adapters/mq/simulator/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface QueueInfo {
  readonly name: string;
  readonly type: string;
  /** CURDEPTH: committed messages plus those in units of work. */
  readonly depth: number;
  /** Committed messages only. */
  readonly committed: number;
  /** Messages backed out so far (MQBACK, or held by a connection that dropped). */
  readonly backedOut: number;
}

/** The simulator's admin calls, over their own socket (no MQ connection). */
export interface SimulatorAdmin {
  define(queue: QueueDefinition): Promise<void>;
  queues(): Promise<QueueInfo[]>;
  queue(name: string): Promise<QueueInfo>;
  browse(name: string): Promise<{ md: MqMd; body: Buffer }[]>;
  breakConnections(): Promise<void>;
  breakOnGet(queue: string): Promise<void>;
  /** The simulated queue manager goes down: waiting calls fail (2161 or 2162), connections end, connects get 2059. */
  down(mode?: 'quiesce' | 'immediate'): Promise<void>;
  up(): Promise<void>;
}

export interface MqiSimulatorProcess {
  readonly queueManager: string;
  readonly port: number;
  /** `127.0.0.1(port)`, as the adapter's `conn` setting takes it. */
  readonly conn: string;
  readonly pid: number;
  readonly admin: SimulatorAdmin;
  /** SIGTERM, then SIGKILL after a timeout. */
  stop(): Promise<void>;
}

/**
 * Starts the MQI simulator as its own process (as a queue manager runs apart from its clients),
 * on 127.0.0.1 and a port the kernel picks, with `queues` defined.
 */
export async function startMqiSimulator(
  queueManager = 'SIM1',
  queues: readonly QueueDefinition[] = [],
): Promise<MqiSimulatorProcess> {
  const dir = tempDir('mqi-simulator');
  const file = join(dir.path, 'queues.json');
  writeFileSync(file, JSON.stringify(queues));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--name', queueManager, '--port', '0', '--queues', file],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const release = killAtExit(() => [child]);
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the MQI simulator did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the MQI simulator exited (${code ?? signal}):\n${output}`));
    });
  });
  const admin = await adminClient(port);
  return {
    queueManager,
    port,
    conn: `127.0.0.1(${port})`,
    pid: child.pid!,
    admin: admin.api,
    async stop() {
      admin.close();
      await stopProcess(child);
      release();
      dir.cleanup();
    },
  };
}

async function adminClient(port: number): Promise<{ api: SimulatorAdmin; close(): void }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const reader = new LineReader((message) => {
    const response = message as Response;
    const waiting = pending.get(response.id);
    pending.delete(response.id);
    if (!waiting) return;
    if (response.ok) waiting.resolve(response.result);
    else waiting.reject(new Error(`simulator admin call failed: ${response.reason} ${response.detail ?? ''}`));
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', () => undefined);
  const call = <T>(op: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  const queues = () => call<QueueInfo[]>('admin.queues');
  const api: SimulatorAdmin = {
    define: (queue) => call('admin.define', { queue }),
    queues,
    async queue(name) {
      const found = (await queues()).find((q) => q.name === name);
      if (!found) throw new Error(`the simulator has no queue ${name}`);
      return found;
    },
    async browse(name) {
      const list = await call<{ md: WireMd; body: string }[]>('admin.browse', { name });
      return list.map((m) => ({ md: mdFromWire(m.md), body: Buffer.from(m.body, 'base64') }));
    },
    breakConnections: () => call('admin.breakConnections'),
    breakOnGet: (queue) => call('admin.breakOnGet', { queue }),
    down: (mode = 'immediate') => call('admin.stop', { mode }),
    up: () => call('admin.start'),
  };
  return { api, close: () => socket.destroy() };
}
