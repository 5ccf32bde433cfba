import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsTestServer {
  readonly url: string;
  readonly port: number;
  /** The JetStream store folder, kept across restarts. */
  readonly storeDir: string;
  /** SIGTERM (JetStream flushes its store), then SIGKILL after a timeout; removes the store folder. */
  stop(): Promise<void>;
  /** SIGKILL: the server gets no chance to flush. */
  kill9(): Promise<void>;
  /** Stops with SIGTERM and starts again on the same port and store folder. */
  restart(): Promise<void>;
}

const STOP_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 10_000;

/** A port nothing listens on right now (the kernel picks it; another process could still take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, then SIGKILL if the process is still there after the timeout. */
async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const gone = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/**
 * Starts a real `nats-server` with JetStream on 127.0.0.1, on a free port with a fresh store
 * folder. The binary is spawned directly (no shell), so the recorded PID is the server's own.
 */
export async function startNatsServer(label = 'nats'): Promise<NatsTestServer> {
  const storeDir = mkdtempSync(join(tmpdir(), `signalbox-${label}-`));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  // A test process that dies without its teardown must not leave the server running.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    output = '';
    const spawned = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    spawned.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const failed = new Promise<never>((_, reject) => {
      spawned.once('error', reject);
      spawned.once('exit', (code, signal) =>
        reject(new Error(`nats-server exited (${code ?? signal}) before accepting connections:\n${output}`)),
      );
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (await Promise.race([accepts(port), failed])) return;
      if (Date.now() > deadline) {
        await stopProcess(spawned, 'SIGKILL');
        throw new Error(`nats-server did not accept connections on ${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      if (child) await stopProcess(child, 'SIGTERM');
      process.removeListener('exit', killOnExit);
      rmSync(storeDir, { recursive: true, force: true });
    },
    async kill9() {
      if (child) await stopProcess(child, 'SIGKILL');
    },
    async restart() {
      if (child) await stopProcess(child, 'SIGTERM');
      await start();
    },
  };
}
