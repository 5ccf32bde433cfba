import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, superviseServer, waitForPort } from '../../bench/support/server-process.js';

export { freePort } from '../../bench/support/server-process.js';

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

/**
 * Starts a real `nats-server` with JetStream on 127.0.0.1, on a free port with a fresh store
 * folder. The binary is spawned directly (no shell), so the recorded PID is the server's own.
 */
export async function startNatsServer(label = 'nats'): Promise<NatsTestServer> {
  const storeDir = mkdtempSync(join(tmpdir(), `signalbox-${label}-`));
  const port = await freePort();
  const server = await superviseServer(
    storeDir,
    () => spawnServer('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]),
    (spawned) => waitForPort(spawned, port, 'nats-server'),
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () => server.dispose(),
    kill9: () => server.stop('SIGKILL'),
    restart: () => server.restart(),
  };
}
