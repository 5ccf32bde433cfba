import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

/*
 * How the benchmarks and the tests run a real server (nats-server, pure-ftpd, sshd, Dovecot, the
 * MQI simulator): spawned directly, with no shell, so the recorded PID is the server's own; ready
 * once it accepts connections on 127.0.0.1; stopped with SIGTERM, then SIGKILL after a timeout.
 * It lives under bench/ because the build ships the benchmarks, and test/ is not built.
 */

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

/** Whether something accepts a TCP connection on 127.0.0.1:`port` now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** What it wrote to stdout and stderr so far (the last `keepChars` characters). */
  output(): string;
}

/** Spawns `command` with its output kept for error messages. */
export function spawnServer(command: string, args: readonly string[], keepChars = 1_000_000): ServerProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-keepChars));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

/**
 * Resolves once `ready()` says so; rejects when the process fails to spawn or exits first, or
 * when `timeoutMs` passes (the process is then stopped). The error carries the server's output.
 */
export async function waitUntilReady(
  server: ServerProcess,
  what: string,
  ready: () => Promise<boolean>,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const { child } = server;
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}):\n${server.output()}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.race([ready(), failed])) return;
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 25));
  }
}

/** `waitUntilReady` on the server accepting connections on 127.0.0.1:`port`. */
export function waitForPort(
  server: ServerProcess,
  port: number,
  what: string,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  return waitUntilReady(server, `${what} on port ${port}`, () => accepts(port), options);
}

/** Sends `signal` (SIGTERM by default), then SIGKILL if the process is still there after a timeout. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

/**
 * A process that dies without its teardown must not leave its servers running: SIGKILLs what
 * `children()` returns when this process exits. Returns the function that takes the guard away.
 */
export function killAtExit(children: () => Iterable<ChildProcess | undefined>): () => void {
  const kill = () => {
    for (const child of children()) child?.kill('SIGKILL');
  };
  process.once('exit', kill);
  return () => process.removeListener('exit', kill);
}

/** One server process that a test or benchmark stops, starts again and finally disposes of. */
export interface SupervisedServer {
  /** The running process's id (the server's own: no shell in between). */
  pid(): number | undefined;
  /** Spawns it again (after `stop`), on the same port and files. */
  start(): Promise<void>;
  /** `signal` (SIGTERM by default), then SIGKILL after a timeout; its files stay. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and removes `folder`, its configuration and data. */
  dispose(): Promise<void>;
}

/**
 * Starts a server with `spawnOnce` and waits until `ready`; the same two start it again. The
 * process is SIGKILLed if this one exits without disposing of it.
 */
export async function superviseServer(
  folder: string,
  spawnOnce: () => ServerProcess,
  ready: (server: ServerProcess) => Promise<void>,
): Promise<SupervisedServer> {
  let current: ServerProcess | undefined;
  const release = killAtExit(() => [current?.child]);
  const start = async () => {
    current = spawnOnce();
    await ready(current);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (current) await stopProcess(current.child, signal);
  };
  const dispose = async () => {
    await stop();
    release();
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    pid: () => current?.child.pid,
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
    dispose,
  };
}
