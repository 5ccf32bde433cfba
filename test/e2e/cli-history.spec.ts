import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const dir = tempDir('cli-history');
let engine: ChildProcess | undefined;
afterAll(() => {
  engine?.kill('SIGKILL');
  dir.cleanup();
});

const data = join(dir.path, 'data');
const inbox = join(dir.path, 'in');
const outbox = join(dir.path, 'out');
const archive = join(dir.path, 'archive');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [bin, ...args, '--data', data], { encoding: 'utf8', cwd: dir.path });
}

function json<T>(...args: string[]): T {
  const run = cli(...args, '--json');
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** Files a File send port has finished writing (it writes to a hidden temporary name first). */
function files(folder: string): string[] {
  try {
    return readdirSync(folder).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('operator commands over the history (built CLI)', () => {
  it('finds, inspects, replays (dry run, then for real, then again) and rebuilds, on a running engine', async () => {
    mkdirSync(inbox, { recursive: true });
    const config = join(dir.path, 'bindings.yaml');
    writeFileSync(
      config,
      [
        'receiveLocations:',
        `  - { name: inbox, receivePort: orders, adapter: file, config: { folder: '${inbox}', pollIntervalMs: 50 } }`,
        'sendPorts:',
        `  - { name: outbox, adapter: file, filter: "BTS.ReceivePortName == 'orders'", config: { folder: '${outbox}', fileName: '%MessageID%.xml', createFolder: true } }`,
        `  - { name: archive, adapter: file, config: { folder: '${archive}', fileName: '%MessageID%.xml', createFolder: true } }`,
        '',
      ].join('\n'),
    );
    engine = spawn(process.execPath, [bin, 'start', '--config', config, '--data', data], {
      cwd: dir.path,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      engine!.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('host instance started')) resolve();
      });
      engine!.once('exit', (code) => reject(new Error(`exited early with ${code}: ${log}`)));
    });
    for (let i = 0; i < 3; i++) writeFileSync(join(inbox, `order-${i}.xml`), `<order id="${i}"/>`);
    await until(() => files(outbox).length === 3, 'outbox');
    // a file is written before its send is recorded
    let found: { items: { messageId: string; status: string }[] } = { items: [] };
    await until(() => {
      found = json('messages', '--location', 'inbox');
      return found.items.filter((m) => m.status === 'sent').length === 3;
    }, 'three messages sent');
    expect(found.items.map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);
    const byName = json<{ items: { messageId: string }[] }>(
      'messages',
      '--property',
      'FILE.ReceivedFileName=order-1.xml',
    );
    expect(byName.items).toHaveLength(1);
    const detail = cli('message', byName.items[0]!.messageId);
    expect(detail.stdout).toMatch(/receive[\s\S]*claim[\s\S]*send/);
    expect(detail.stdout).toContain('FILE.ReceivedFileName');

    const dry = json<{ status: string }[]>(
      'replay',
      '--replay-id',
      'r1',
      '--location',
      'inbox',
      '--to-port',
      'archive',
      '--dry-run',
    );
    expect(dry.map((i) => i.status)).toEqual(['would-replay', 'would-replay', 'would-replay']);
    const real = json<{ status: string }[]>(
      'replay',
      '--replay-id',
      'r1',
      '--location',
      'inbox',
      '--to-port',
      'archive',
    );
    expect(real.map((i) => i.status)).toEqual(['replayed', 'replayed', 'replayed']);
    await until(() => files(archive).length === 3, 'archive');
    const again = json<{ status: string }[]>(
      'replay',
      '--replay-id',
      'r1',
      '--location',
      'inbox',
      '--to-port',
      'archive',
    );
    expect(again.map((i) => i.status)).toEqual(['already-replayed', 'already-replayed', 'already-replayed']);
    const refused = cli('replay', '--replay-id', 'r2', '--location', 'inbox', '--to-port', 'nowhere');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('send port "nowhere" does not exist');
    const unselected = cli('replay', '--replay-id', 'r3');
    expect(unselected.status).not.toBe(0);
    expect(unselected.stderr).toContain('select what to replay');

    const config0 = json<{ kind: string; name: string }[]>('config');
    expect(config0.map((c) => `${c.kind}/${c.name}`)).toContain('send-port/archive');
    const before = json<{ kind: string }[]>('config', '--as-of', '2000-01-01T00:00:00Z');
    expect(before).toEqual([]);

    const audit = json<{ items: { action: string; actor: string }[] }>('audit', 'log');
    expect(audit.items.filter((e) => e.action === 'MessageReplayed')).toHaveLength(3);

    const rebuilt = cli('rebuild');
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/tracking: \d+ events/);
    expect(rebuilt.stdout).not.toContain('DIFFERS');

    engine.kill('SIGTERM');
    expect(await new Promise((r) => engine!.once('exit', r))).toBe(0);
    engine = undefined;
  });

  it('a query against a data folder with no store says so instead of creating one', () => {
    const run = spawnSync(process.execPath, [bin, 'messages', '--data', join(dir.path, 'nothing-here')], {
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('no event store at');
  });
});
