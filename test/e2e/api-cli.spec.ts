import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const root = tempDir('api-cli');
const children: ChildProcessWithoutNullStreams[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  root.cleanup();
});

interface Served {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  log(): string;
}

/** Starts the built CLI and waits for its API to listen (on a port the OS picks). */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root.path, stdio: 'pipe' });
  children.push(child);
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const line = log.split('\n').find((l) => l.includes('"API listening"'));
      if (line) resolve((JSON.parse(line) as { address: string }).address);
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${log}`)));
  });
  return { child, url, log: () => log };
}

async function stop(served: Served): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', resolve));
  served.child.kill('SIGTERM');
  return exited;
}

async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function metric(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('the API from the built CLI: start --api, signalbox api, tokens create', () => {
  it('serves the engine’s messages to a token made on the command line, and a separate API process counts its work', async () => {
    const data = join(root.path, 'data');
    // As the README's quick start has it: the first token is made on a fresh data folder.
    const created = spawnSync(
      process.execPath,
      [bin, 'tokens', 'create', '--data', data, '--name', 'root', '--role', 'admin'],
      {
        encoding: 'utf8',
      },
    );
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^sbt_/);
    expect(created.stderr).toContain('shown once');
    const badRole = spawnSync(
      process.execPath,
      [bin, 'tokens', 'create', '--data', data, '--name', 'x', '--role', 'god'],
      {
        encoding: 'utf8',
      },
    );
    expect(badRole.status).not.toBe(0);
    expect(badRole.stderr).toContain('viewer, operator or admin');

    const engine = await serve(['start', '--data', data, '--api', '127.0.0.1:0']);
    expect(engine.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const consolePage = await fetch(`${engine.url}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('<html');

    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${engine.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${engine.url}/api/v1/messages`)).status).toBe(401);

    // A second process serving only the API, over the same data folder.
    const api = await serve(['api', '--data', data, '--listen', '127.0.0.1:0']);
    expect((await fetch(`${api.url}/api/v1/ports`, { headers })).status).toBe(200);

    writeFileSync(join(data, 'inbox', 'order-7.xml'), '<order id="7"/>');
    await eventually(async () => existsSync(join(data, 'outbox', 'order-7.xml')));
    for (const served of [engine, api]) {
      const found = await eventually(async () => {
        const r = await fetch(`${served.url}/api/v1/messages?status=sent`, { headers });
        const items = ((await r.json()) as { items: { messageId: string }[] }).items;
        return items.length === 1 && items;
      });
      const body = await fetch(`${served.url}/api/v1/messages/${found[0]!.messageId}/body`, { headers });
      expect(await body.text()).toBe('<order id="7"/>');
      // The send was made by the engine process; both APIs count it from the store.
      const sent = await eventually(async () => {
        const text = await (await fetch(`${served.url}/metrics`)).text();
        return metric(text, 'signalbox_messages_sent_total{port="outbox"}') === 1 && text;
      });
      expect(metric(sent, 'signalbox_messages_received_total{location="inbox"}')).toBe(1);
    }
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    const hosts = (await (await fetch(`${api.url}/api/v1/hosts`, { headers })).json()) as {
      items: { state: string }[];
    };
    expect(hosts.items.map((h) => h.state)).toEqual(['started']);

    // A worker that joins, beating every 300 ms, then is killed: it never records its stop, and
    // once three beats are missed both the API and the CLI call it lost; the engine stays started.
    const worker = await serve([
      'worker',
      '--data',
      data,
      '--name',
      'w2',
      '--heartbeat-ms',
      '300',
      '--api',
      '127.0.0.1:0',
    ]);
    type Host = { instance: string; state: string; pid: number; lastSeenAt: string | null; heartbeatMs: number | null };
    const hostsNow = async () =>
      ((await (await fetch(`${api.url}/api/v1/hosts`, { headers })).json()) as { items: Host[] }).items;
    const joined = await eventually(async () => {
      const items = await hostsNow();
      const w2 = items.find((h) => h.pid === worker.child.pid);
      return w2 !== undefined && w2.lastSeenAt !== null && items.every((h) => h.state === 'started') && w2;
    });
    expect(joined.heartbeatMs).toBe(300);
    const alive = async () =>
      metric(await (await fetch(`${api.url}/metrics`)).text(), 'signalbox_host_instances_alive{host="default"}');
    expect(await alive()).toBe(2);
    worker.child.kill('SIGKILL');
    const killedAt = Date.now();
    const lost = await eventually(async () => {
      const items = await hostsNow();
      return items.find((h) => h.instance === joined.instance && h.state === 'lost') && items;
    });
    // Not before three beats were missed.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(600);
    expect(await alive()).toBe(1);
    expect(lost.filter((h) => h.instance !== joined.instance).map((h) => h.state)).toEqual(['started']);
    const listed = spawnSync(process.execPath, [bin, 'hosts', '--data', data, '--json'], { encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const fromCli = JSON.parse(listed.stdout) as Host[];
    expect(fromCli.find((h) => h.instance === joined.instance)?.state).toBe('lost');

    expect(await stop(api)).toBe(0);
    expect(await stop(engine)).toBe(0);
    expect(engine.log() + api.log()).not.toContain(token);
    const after = spawnSync(process.execPath, [bin, 'hosts', '--data', data, '--json'], { encoding: 'utf8' });
    const states = (JSON.parse(after.stdout) as (Host & { stopReason: string | null })[]).map((h) =>
      h.instance === joined.instance ? ['w2', h.state, h.stopReason] : ['engine', h.state, h.stopReason],
    );
    expect(states.sort()).toEqual([
      ['engine', 'stopped', 'SIGTERM'],
      ['w2', 'lost', null],
    ]);
  });
});
