import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const dir = tempDir('cli');
afterAll(() => dir.cleanup());

describe('signalbox command (built CLI)', () => {
  it('start runs the sample flow: a file dropped into data/inbox arrives in data/outbox, start and stop recorded', async () => {
    const cwd = join(dir.path, 'newcomer');
    mkdirSync(cwd);
    const child = spawn(process.execPath, [bin, 'start', '--host', 'edge'], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('host instance started')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${log}`)));
    });
    writeFileSync(join(cwd, 'data', 'inbox', 'order-42.xml'), '<order id="42"/>');
    const outbox = join(cwd, 'data', 'outbox', 'order-42.xml');
    const deadline = Date.now() + 15_000;
    while (!existsSync(outbox) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(outbox, 'utf8')).toBe('<order id="42"/>');
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const store = new SqliteEventStore(join(cwd, 'data', 'signalbox.db'));
    const events = await store.readStream('host-edge');
    await store.close();
    expect(events.map((e) => e.type)).toEqual(['HostInstanceStarted', 'HostInstanceStopped']);
    expect(events[1]!.data).toMatchObject({ host: 'edge', reason: 'SIGTERM' });
  });

  it('refuses an invalid bindings file, naming the bad fields, and exits non-zero', () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, 'sendPorts:\n  - name: out\n    retry: { count: -1 }\n');
    const run = spawnSync(process.execPath, [bin, 'worker', '--config', file, '--data', join(dir.path, 'w')], {
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('sendPorts.0.retry.count');
    expect(run.stderr).toContain('sendPorts.0.adapter');
  });

  it('bench store --json prints one JSON object with the measured rates and their ratio', () => {
    const run = spawnSync(process.execPath, [bin, 'bench', 'store', '--json', '--seconds', '0.3'], {
      encoding: 'utf8',
      cwd: dir.path,
    });
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as Record<string, number>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['appendsPerSec', 'rawInsertsPerSec', 'ratio', 'singleAppendsPerSec']),
    );
    expect(result.appendsPerSec).toBeGreaterThan(0);
    expect(result.ratio).toBeCloseTo(result.appendsPerSec! / result.rawInsertsPerSec!, 2);
  });

  it('refuses a bad option value with a clear message and a non-zero exit', () => {
    const run = spawnSync(process.execPath, [bin, 'bench', 'store', '--seconds', 'soon'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('must be a positive number');
    const beat = spawnSync(process.execPath, [bin, 'start', '--data', join(dir.path, 'beat'), '--heartbeat-ms', '5'], {
      encoding: 'utf8',
    });
    expect(beat.status).not.toBe(0);
    expect(beat.stderr).toContain("'--heartbeat-ms <ms>' argument '5' is invalid");
    expect(beat.stderr).toContain('at least 100');
  });
});
