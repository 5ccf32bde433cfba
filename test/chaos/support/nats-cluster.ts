import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { projectRoot } from '../../../bench/support/cli-worker.js';
import { freePort } from '../../support/nats-server.js';

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

const STOP_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 20_000;

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

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}

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
  const children: ChildProcess[] = [];
  const outputs: string[] = ['', '', ''];
  const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killAll);

  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    process.removeListener('exit', killAll);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    clusterConfigFiles.forEach((file, i) => {
      const child = spawn(
        'nats-server',
        [
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
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (chunk: Buffer) => (outputs[i] += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (outputs[i] += chunk.toString()));
      children.push(child);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const [i, port] of clientPorts.entries()) {
      while (!(await accepts(port))) {
        if (children[i]!.exitCode !== null) throw new Error(`nats-${i + 1} exited:\n${outputs[i]}`);
        if (Date.now() > deadline) throw new Error(`nats-${i + 1} did not listen:\n${outputs[i]}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (const [i, port] of clientPorts.entries())
      await waitForJetStream(`nats://127.0.0.1:${port}`, deadline, outputs[i]!);
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = clientPorts.map((port, i) => ({
    name: `nats-${i + 1}`,
    url: `nats://127.0.0.1:${port}`,
    pid: children[i]!.pid!,
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
