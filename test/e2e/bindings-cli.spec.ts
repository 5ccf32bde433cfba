import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { eventually } from '../integration/support/engine.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const root = tempDir('bindings-cli');
afterAll(() => root.cleanup());

function cli(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

function bindingsFor(dir: string, ports: readonly string[]) {
  return {
    receiveLocations: [
      { name: 'in', receivePort: 'orders', adapter: 'file', config: { folder: join(dir, 'in'), pollIntervalMs: 100 } },
    ],
    sendPorts: ports.map((name) => ({
      name,
      adapter: 'file',
      config: { folder: join(dir, name) },
      filter: "BTS.ReceivePortName == 'orders'",
    })),
  };
}

describe('signalbox bindings (built CLI)', () => {
  it('import: dry run prints the diff and writes nothing; import writes it with the operator; export round-trips; exit codes 0/1/2', async () => {
    const dir = join(root.path, 'io');
    mkdirSync(dir);
    const file = join(dir, 'b.yaml');
    writeFileSync(file, stringify(bindingsFor(dir, ['a'])));

    const dry = cli(['bindings', 'import', file, '--dry-run'], dir);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('+ send-port/a');
    expect(dry.stdout).toContain('+ receive-location/in');
    expect(dry.stdout).toContain('dry run: nothing written');
    const store = () => new SqliteEventStore(join(dir, 'data', 'signalbox.db'));
    let s = store();
    expect(await s.streamRevision('config-send-port-a')).toBeUndefined();
    await s.close();

    const real = cli(['bindings', 'import', file], dir);
    expect(real.status).toBe(0);
    expect(real.stdout).toContain('4 changes: 4 added, 0 changed, 0 removed');
    s = store();
    const events = await s.readStream('config-send-port-a');
    await s.close();
    expect(events[0]!.metadata.actor).toMatch(/^user:/);

    for (const format of ['yaml', 'json']) {
      const out = join(dir, `export.${format}`);
      expect(cli(['bindings', 'export', '--out', out], dir).status).toBe(0);
      const again = cli(['bindings', 'import', out, '--json'], dir);
      expect(again.status).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ diff: [], applied: true });
      const text = readFileSync(out, 'utf8');
      expect(format === 'json' ? JSON.parse(text) : parse(text)).toMatchObject({ sendPorts: [{ name: 'a' }] });
    }
    const stdoutExport = cli(['bindings', 'export', '--format', 'json'], dir);
    expect(JSON.parse(stdoutExport.stdout)).toEqual(JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8')));

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      stringify({
        sendPorts: [
          { name: 'x', adapter: 'file', config: { folder: 3 }, retry: { count: -1 }, filter: 'A ==' },
          { name: 'y', adapter: 'nosuch' },
        ],
      }),
    );
    const refused = cli(['bindings', 'import', bad], dir);
    expect(refused.status).toBe(1);
    for (const path of [
      'sendPorts.0.retry.count',
      'sendPorts.0.config.folder',
      'sendPorts.0.filter',
      'sendPorts.1.adapter',
    ]) {
      expect(refused.stderr).toContain(path);
    }
    expect(refused.stderr).toContain('nothing was written');
    expect(cli(['bindings', 'import', join(dir, 'missing.yaml')], dir).status).toBe(2);
    expect(cli(['bindings', 'import'], dir).status).toBe(2);
    expect(cli(['bindings', 'export', '--format', 'xml'], dir).status).toBe(2);
    expect(cli(['bindings', 'import', '--help'], dir).status).toBe(0);
  }, 300_000);

  it('a running engine takes up an imported configuration: a file dropped after the import follows the new route', async () => {
    const dir = join(root.path, 'live');
    for (const folder of ['in', 'a', 'b']) mkdirSync(join(dir, folder), { recursive: true });
    const first = join(dir, 'first.yaml');
    writeFileSync(first, stringify(bindingsFor(dir, ['a'])));
    const engine = spawn(process.execPath, [bin, 'start', '--config', first, '--data', join(dir, 'data')], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    engine.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await eventually(() => log.includes('host instance started'), 30_000);
      writeFileSync(join(dir, 'in', 'one.xml'), '<one/>');
      await eventually(() => readdirSync(join(dir, 'a')).length === 1, 30_000);

      // The new configuration replaces port a by port b.
      const second = join(dir, 'second.yaml');
      writeFileSync(second, stringify(bindingsFor(dir, ['b'])));
      const imported = cli(['bindings', 'import', second, '--data', join(dir, 'data')], dir);
      expect(imported.status).toBe(0);
      expect(imported.stdout).toContain('- send-port/a');
      expect(imported.stdout).toContain('+ send-port/b');
      await eventually(() => log.includes('configuration changed'), 30_000);

      writeFileSync(join(dir, 'in', 'two.xml'), '<two/>');
      await eventually(() => readdirSync(join(dir, 'b')).length === 1, 30_000);
      expect(readFileSync(join(dir, 'b', readdirSync(join(dir, 'b'))[0]!), 'utf8')).toBe('<two/>');
      expect(readdirSync(join(dir, 'a'))).toHaveLength(1);
    } finally {
      // An engine that already died (its log says why) has nothing left to stop.
      const exited =
        engine.exitCode !== null || engine.signalCode !== null
          ? Promise.resolve(engine.exitCode)
          : new Promise((resolve) => engine.once('exit', resolve));
      engine.kill('SIGTERM');
      expect(await exited, log).toBe(0);
    }
    expect(existsSync(join(dir, 'in', 'two.xml'))).toBe(false);
  }, 120_000);

  it('a worker without --config runs the imported configuration; on an empty store it refuses, saying what to do', async () => {
    const dir = join(root.path, 'worker');
    for (const folder of ['in', 'a']) mkdirSync(join(dir, folder), { recursive: true });
    const data = join(dir, 'data');
    const refused = cli(['worker', '--data', data], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('the store holds no configuration yet');

    const file = join(dir, 'b.yaml');
    writeFileSync(file, stringify(bindingsFor(dir, ['a'])));
    expect(cli(['bindings', 'import', file, '--data', data], dir).status).toBe(0);
    const worker = spawn(process.execPath, [bin, 'worker', '--data', data], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    worker.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await eventually(() => log.includes('host instance started'), 30_000);
      writeFileSync(join(dir, 'in', 'one.xml'), '<one/>');
      await eventually(() => readdirSync(join(dir, 'a')).length === 1, 30_000);
    } finally {
      const exited =
        worker.exitCode !== null || worker.signalCode !== null
          ? Promise.resolve(worker.exitCode)
          : new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      expect(await exited, log).toBe(0);
    }
  }, 120_000);
});
