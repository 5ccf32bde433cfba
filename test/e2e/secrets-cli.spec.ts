import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { masterKeyId } from '../../src/workers/secrets/master-key.js';
import { SecretStore } from '../../src/workers/secrets/secret-store.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../bin/signalbox.js', import.meta.url));
const root = tempDir('secrets-cli');
afterAll(() => root.cleanup());

function cli(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env = { ...process.env, ...options.env };
  if (!options.env?.SIGNALBOX_MASTER_KEY) delete env.SIGNALBOX_MASTER_KEY;
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    input: options.input ?? '',
    env,
  });
}

describe('signalbox secrets (built CLI)', () => {
  it('sets from stdin (never from argv), lists without values, and names a wrong master key by id', async () => {
    const data = join(root.path, 'basic');
    const value = `v-${randomBytes(12).toString('hex')}`;
    const set = cli(['secrets', 'set', 'ftp-partner', '--data', data], { input: `${value}\n` });
    expect(set.status).toBe(0);
    expect(set.stdout).toBe('secret ftp-partner set (version 1)\n');
    // A value given as an argument is refused as wrong usage: it would show in `ps`.
    expect(cli(['secrets', 'set', 'ftp-partner', value, '--data', data]).status).toBe(2);

    const list = cli(['secrets', 'list', '--json', '--data', data]);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'ftp-partner', version: 1 })]);
    expect(list.stdout).not.toContain(value);

    const store = new SqliteEventStore(join(data, 'signalbox.db'));
    try {
      const secrets = await SecretStore.open({ store, dataDir: data, env: {} });
      expect(await secrets.reveal('ftp-partner')).toBe(value); // the shell's trailing newline is not kept
    } finally {
      await store.close();
    }

    const wrong = randomBytes(32);
    const refused = cli(['secrets', 'set', 'other', '--data', data], {
      input: 'x',
      env: { SIGNALBOX_MASTER_KEY: wrong.toString('base64') },
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('master key mismatch');
    expect(refused.stderr).toContain(masterKeyId(wrong));
    expect(refused.stderr).toContain((JSON.parse(list.stdout) as { keyId: string }[])[0]!.keyId);
    expect(cli(['secrets', 'set', 'empty', '--data', data], { input: '' }).status).toBe(1);
  }, 120_000);

  it('rotate-master killed with SIGKILL midway loses no secret; run again, it finishes with the same new key, moving each secret once', async () => {
    const data = join(root.path, 'rotate');
    mkdirSync(data);
    const count = 400;
    const values = new Map<string, string>();
    let store = new SqliteEventStore(join(data, 'signalbox.db'));
    try {
      const secrets = await SecretStore.open({ store, dataDir: data, env: {} });
      for (let i = 0; i < count; i++) {
        const name = `s${String(i).padStart(3, '0')}`;
        values.set(name, randomBytes(10).toString('hex'));
        await secrets.set(name, values.get(name)!, 'user:test');
      }
    } finally {
      await store.close();
    }

    const env = { ...process.env };
    delete env.SIGNALBOX_MASTER_KEY;
    const child = spawn(process.execPath, [bin, 'secrets', 'rotate-master', '--data', data], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let progress = '';
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killedAt = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        progress += chunk.toString();
        const match = /re-encrypt: (\d+)% \((\d+)\/\d+\)/.exec(progress.split('\n').at(-2) ?? '');
        if (match && Number(match[1]) >= 30) {
          child.kill('SIGKILL');
          resolve(match[2]!);
        }
      });
      void exit.then((code) => reject(new Error(`rotate-master ended (${code}) before it was killed: ${progress}`)));
    });
    expect(await exit).toBeNull();
    expect(Number(killedAt)).toBeLessThan(count);
    expect(existsSync(join(data, 'master.key.new'))).toBe(true);

    const revealAll = async () => {
      store = new SqliteEventStore(join(data, 'signalbox.db'));
      try {
        const secrets = await SecretStore.open({ store, dataDir: data, env: {} });
        let lost = 0;
        for (const [name, value] of values) if ((await secrets.reveal(name)) !== value) lost++;
        const keys = (await secrets.list()).map((s) => s.keyId);
        return { lost, keys, keyIds: new Set(keys) };
      } finally {
        await store.close();
      }
    };
    const meanwhile = await revealAll();
    expect(meanwhile.lost).toBe(0);
    expect(meanwhile.keyIds.size).toBe(2);

    const again = cli(['secrets', 'rotate-master', '--json', '--data', data]);
    expect(again.status).toBe(0);
    const result = JSON.parse(again.stdout) as { reencrypted: number; toKeyId: string };
    const after = await revealAll();
    expect(after.lost).toBe(0);
    expect([...after.keyIds]).toEqual([result.toKeyId]);
    expect(existsSync(join(data, 'master.key.new'))).toBe(false);

    store = new SqliteEventStore(join(data, 'signalbox.db'));
    try {
      const master = await store.readStream('secret-_master-key');
      expect(master.map((e) => e.type)).toEqual([
        'MasterKeyInitialized',
        'MasterKeyRotationStarted',
        'MasterKeyRotationCompleted',
      ]);
      expect(master[1]!.data).toMatchObject({ toKeyId: result.toKeyId });
      let moved = 0;
      for (const name of values.keys()) {
        const types = (await store.readStream(`secret-${name}`)).map((e) => e.type);
        expect(types).toEqual(['SecretSet', 'SecretReencrypted']); // moved exactly once, never twice
        moved++;
      }
      expect(moved).toBe(count);
      // The second run moved exactly those the first had not.
      expect(result.reencrypted).toBe(count - meanwhile.keys.filter((k) => k === result.toKeyId).length);
    } finally {
      await store.close();
    }
  }, 300_000);
});
