import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Network namespaces for partition tests: `count` node namespaces, each joined to a hub
 * namespace's bridge by a veth pair, on 10.99.0.0/24. The addresses exist only inside these
 * namespaces (nothing is added to the machine's own network), and cutting a node is setting its
 * veth's hub end down: the node keeps its address and its local processes, and loses the others.
 */
export interface Topology {
  readonly nodes: readonly { readonly ns: string; readonly address: string }[];
  /** Link down: node `i` (0-based) no longer reaches the others. */
  cut(i: number): void;
  restore(i: number): void;
  /** Deletes every namespace (and with them every link); safe to call twice. */
  destroy(): void;
}

const SUBNET = '10.99.0';
const PREFIX = 'sbxpart';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = `${PREFIX}${process.pid}-probe`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.error) return `iproute2's ip is not available: ${added.error.message}`;
  if (added.status !== 0) return `this kernel refuses ip netns add: ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/**
 * Deletes a namespace after SIGKILLing what still runs in it: only this harness starts processes
 * in its namespaces, and a namespace whose processes live on would outlive its name.
 */
function deleteNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids
    .split('\n')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Namespaces left by runs whose process is gone (a killed test run cannot clean up after itself). */
function removeStale(): void {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of listed.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) deleteNamespace(name);
  }
}

export function createTopology(count: number): Topology {
  removeStale();
  const base = `${PREFIX}${process.pid}`;
  const hub = `${base}-hub`;
  const created: string[] = [];
  const destroy = () => {
    for (const ns of created.splice(0).reverse()) deleteNamespace(ns);
  };
  // Even a test process that dies without its teardown leaves no namespace behind.
  const onExit = () => destroy();
  process.once('exit', onExit);

  const nodes: { ns: string; address: string }[] = [];
  try {
    ip('netns', 'add', hub);
    created.push(hub);
    ip('-n', hub, 'link', 'set', 'lo', 'up');
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= count; i++) {
      const ns = `${base}-n${i}`;
      const address = `${SUBNET}.${i}`;
      ip('netns', 'add', ns);
      created.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // Made inside the node's namespace with its peer placed in the hub's: the machine's own
      // namespace never sees either end.
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `hub${i}`, 'netns', hub);
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', hub, 'link', 'set', `hub${i}`, 'master', 'br0');
      ip('-n', hub, 'link', 'set', `hub${i}`, 'up');
      nodes.push({ ns, address });
    }
  } catch (error) {
    destroy();
    process.removeListener('exit', onExit);
    throw error;
  }
  return {
    nodes,
    cut: (i) => ip('-n', hub, 'link', 'set', `hub${i + 1}`, 'down'),
    restore: (i) => ip('-n', hub, 'link', 'set', `hub${i + 1}`, 'up'),
    destroy() {
      destroy();
      process.removeListener('exit', onExit);
    },
  };
}

/** Namespaces this process created and still holds (for the test's own leak check). */
export function ownNamespaces(): string[] {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return listed
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${PREFIX}${process.pid}-`));
}
