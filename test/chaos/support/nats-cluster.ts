import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { projectRoot } from '../../../bench/support/cli-worker.js';
import {
  freePort,
  killAtExit,
  spawnServer,
  stopProcess,
  waitForPort,
  type ServerProcess,
} from '../../../bench/support/server-process.js';

/** The cluster configuration files the deployment uses, one per node. */
export const clusterConfigFiles = [1, 2, 3].map((i) => join(projectRoot, 'infra', 'nats', `nats-${i}.conf`));

export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

export interface NatsTestCluster {
  readonly nodes: readonly ClusterNode[];
  /** All three client URLs joined by commas, as `--nats` takes them. */
  readonly servers: string;
  /** SIGTERM each node, SIGKILL after a timeout; removes the store folders. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

export { stopProcess as stopChild } from '../../../bench/support/server-process.js';

/**
 * Starts the three nodes of `infra/nats/` on 127.0.0.1, each from its own file unchanged: the
 * command line moves the client and route listeners to free loopback ports, points the routes at
 * them, turns monitoring off (the files listen on all interfaces) and gives each a fresh store
 * folder. Resolves once JetStream answers through every node, which needs a meta leader.
 */
export async function startNatsCluster(label = 'cluster'): Promise<NatsTestCluster> {
  const root = mkdtempSync(join(tmpdir(), `signalbox-${label}-`));
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers: ServerProcess[] = [];
  const release = killAtExit(() => servers.map((s) => s.child));

  const stop = async () => {
    await Promise.all(servers.map((s) => stopProcess(s.child)));
    release();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    clusterConfigFiles.forEach((file, i) => {
      servers.push(
        spawnServer('nats-server', [
          '-c',
          file,
          '-a',
          '127.0.0.1',
          '-p',
          String(clientPorts[i]),
          '-m',
          '0',
          '-sd',
          join(root, `n${i + 1}`),
          '--cluster',
          `nats://127.0.0.1:${routePorts[i]}`,
          '--routes',
          routes,
        ]),
      );
    });
    // All three are spawned before any is waited for: a node's routes need the others.
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const [i, port] of clientPorts.entries())
      await waitForPort(servers[i]!, port, `nats-${i + 1}`, { timeoutMs: Math.max(0, deadline - Date.now()) });
    for (const [i, port] of clientPorts.entries())
      await waitForJetStream(`nats://127.0.0.1:${port}`, deadline, servers[i]!.output());
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = clientPorts.map((port, i) => ({
    name: `nats-${i + 1}`,
    url: `nats://127.0.0.1:${port}`,
    pid: servers[i]!.child.pid!,
  }));
  return { nodes, servers: nodes.map((n) => n.url).join(','), stop };
}

/** JetStream's account info is answered only once the cluster has a meta leader. */
async function waitForJetStream(url: string, deadline: number, output: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2_000 });
  try {
    for (;;) {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`no JetStream meta leader through ${url}: ${String(error)}\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await nc.close();
  }
}
