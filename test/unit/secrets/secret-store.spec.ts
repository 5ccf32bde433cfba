import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../src/domain/events/index.js';
import type { EventStore, ExpectedRevision } from '../../../src/store/event-store.js';
import { masterKeyId } from '../../../src/workers/secrets/master-key.js';
import { SecretStore } from '../../../src/workers/secrets/secret-store.js';
import { MemoryEventStore } from '../../support/memory-event-store.js';
import { tempDir } from '../../support/temp-dir.js';

const root = tempDir('secret-store');
afterAll(() => root.cleanup());
let n = 0;
const freshDir = () => join(root.path, `d${++n}`);
const noEnv = {};

async function allEventsText(store: EventStore): Promise<string> {
  const out: unknown[] = [];
  for await (const event of store.readAll()) out.push(event);
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

describe('SecretStore', () => {
  it('seals values into secret-{name} with the actor; the key file is made 0600 on first use; list shows no value', async () => {
    const dir = freshDir();
    const store = new MemoryEventStore();
    const secrets = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    expect(await secrets.set('partner-pw', 'correct horse battery', 'user:alice')).toEqual({
      name: 'partner-pw',
      version: 1,
    });
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(await secrets.set('partner-pw', 'second value', 'user:bob')).toEqual({ name: 'partner-pw', version: 2 });
    expect(await secrets.reveal('partner-pw')).toBe('second value');
    expect(await secrets.resolver().reveal({ secret: 'partner-pw' })).toBe('second value');

    const events = await store.readStream('secret-partner-pw');
    expect(events.map((e) => `${e.type}:${e.metadata.actor}`)).toEqual(['SecretSet:user:alice', 'SecretSet:user:bob']);
    const keyText = readFileSync(join(dir, 'master.key'), 'utf8').trim();
    const keyId = masterKeyId(Buffer.from(keyText, 'base64'));
    expect(events[0]!.data).toMatchObject({ name: 'partner-pw', version: 1, keyId });
    const text = await allEventsText(store);
    expect(text).toContain('partner-pw'); // the check below can see what is there
    expect(text).not.toContain('correct horse');
    expect(text).not.toContain('second value');
    expect(text).not.toContain(keyText);
    const listing = await secrets.list();
    expect(listing).toEqual([
      expect.objectContaining({ name: 'partner-pw', version: 2, updatedBy: 'user:bob', keyId }),
    ]);
    expect(JSON.stringify(listing)).not.toContain('second value');
  });

  it('takes the key from SIGNALBOX_MASTER_KEY and writes no key file; a malformed one is refused', async () => {
    const dir = freshDir();
    const key = randomBytes(32);
    const store = new MemoryEventStore();
    const secrets = await SecretStore.open({
      store,
      dataDir: dir,
      env: { SIGNALBOX_MASTER_KEY: key.toString('base64') },
    });
    await secrets.set('a', 'v', 'user:x');
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
    expect((await store.readStream('secret-a'))[0]!.data).toMatchObject({ keyId: masterKeyId(key) });
    await expect(SecretStore.open({ store, dataDir: dir, env: { SIGNALBOX_MASTER_KEY: 'c2hvcnQ=' } })).rejects.toThrow(
      /SIGNALBOX_MASTER_KEY must hold a master key as base64 of 32 bytes/,
    );
  });

  it('a wrong master key is a clear MASTER_KEY_MISMATCH naming both key ids, for reveal and for set', async () => {
    const store = new MemoryEventStore();
    const right = randomBytes(32);
    const wrong = randomBytes(32);
    await (await SecretStore.open({ store, dataDir: freshDir(), masterKey: right })).set('a', 'v', 'user:x');
    const other = await SecretStore.open({ store, dataDir: freshDir(), masterKey: wrong });
    const mismatch = new RegExp(`master key mismatch: .*${masterKeyId(right)}.*${masterKeyId(wrong)}`);
    await expect(other.reveal('a')).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });
    await expect(other.reveal('a')).rejects.toThrow(mismatch);
    await expect(other.resolver().reveal({ secret: 'a' })).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });
    await expect(other.set('b', 'v', 'user:x')).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });
    expect(await other.masterKeyProblem()).toMatch(mismatch);
    expect(await store.streamRevision('secret-b')).toBeUndefined();
  });

  it('names a missing secret, and a value altered in the store fails its authentication', async () => {
    const store = new MemoryEventStore();
    const secrets = await SecretStore.open({ store, dataDir: freshDir(), masterKey: randomBytes(32) });
    await expect(secrets.reveal('nope')).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
    await secrets.set('a', 'value', 'user:x');
    const [event] = await store.readStream('secret-a');
    // A value copied to another name is refused: the name is authenticated with it.
    await store.append(
      'secret-b',
      [
        {
          id: randomUUID(),
          type: 'SecretSet',
          data: { ...(event!.data as object), name: 'b' },
          metadata: event!.metadata,
        } as NewEvent,
      ],
      'no_stream',
    );
    await expect(secrets.reveal('b')).rejects.toMatchObject({ code: 'SECRET_CORRUPT' });
  });

  it('rotate-master seals every secret again under a new key, records both key ids, and drops the old key file', async () => {
    const dir = freshDir();
    const store = new MemoryEventStore();
    const secrets = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    const values = new Map(
      Array.from({ length: 25 }, (_, i) => [`s${i}`, `value-${i}-${randomBytes(6).toString('hex')}`]),
    );
    for (const [name, value] of values) await secrets.set(name, value, 'user:x');
    const before = readFileSync(join(dir, 'master.key'), 'utf8');
    const progress: [number, number][] = [];
    const result = await secrets.rotateMaster('user:admin', (done, total) => progress.push([done, total]));
    expect(result.reencrypted).toBe(25);
    expect(result.fromKeyId).not.toBe(result.toKeyId);
    expect(progress.at(-1)).toEqual([25, 25]);
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).not.toBe(before);
    expect(existsSync(join(dir, 'master.key.new'))).toBe(false);
    expect((await secrets.list()).every((s) => s.keyId === result.toKeyId && s.version === 1)).toBe(true);
    const reopened = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    for (const [name, value] of values) expect(await reopened.reveal(name)).toBe(value);
    const master = await store.readStream('secret-_master-key');
    expect(master.map((e) => e.type)).toEqual([
      'MasterKeyInitialized',
      'MasterKeyRotationStarted',
      'MasterKeyRotationCompleted',
    ]);
    expect(master[2]!.data).toEqual({ fromKeyId: result.fromKeyId, toKeyId: result.toKeyId, reencrypted: 25 });
    expect(master[2]!.metadata.actor).toBe('user:admin');
    // The old key cannot open anything any more: it is gone, and nothing needs it.
    const old = await SecretStore.open({ store, dataDir: freshDir(), masterKey: Buffer.from(before.trim(), 'base64') });
    await expect(old.reveal('s0')).rejects.toMatchObject({ code: 'MASTER_KEY_MISMATCH' });
  });

  it('an interrupted rotation loses nothing: every secret opens meanwhile, and the next run finishes with the same new key', async () => {
    const dir = freshDir();
    const backend = new MemoryEventStore().backend;
    const store = backend.client();
    const secrets = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    const values = new Map(Array.from({ length: 20 }, (_, i) => [`s${i}`, `v${i}`]));
    for (const [name, value] of values) await secrets.set(name, value, 'user:x');
    // The process "dies" at the 8th re-encryption: its append never lands.
    const dying = failingAfter(backend.client(), 'SecretReencrypted', 7);
    const first = await SecretStore.open({ store: dying, dataDir: dir, env: noEnv });
    await expect(first.rotateMaster('user:admin')).rejects.toThrow('killed');
    expect(existsSync(join(dir, 'master.key.new'))).toBe(true);
    const keyIds = new Set((await secrets.list()).map((s) => s.keyId));
    expect(keyIds.size).toBe(2); // some moved, some not: both keys are needed and both are kept
    const meanwhile = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    for (const [name, value] of values) expect(await meanwhile.reveal(name)).toBe(value);
    await meanwhile.set('s0', 'changed during the rotation', 'user:y'); // sealed under the new key
    const started = (await store.readStream('secret-_master-key'))[1]!.data as { toKeyId: string };
    expect((await store.readStream('secret-s0')).at(-1)!.data).toMatchObject({ keyId: started.toKeyId });

    const second = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    const result = await second.rotateMaster('user:admin');
    expect(result.toKeyId).toBe(started.toKeyId);
    expect(result.reencrypted).toBe(20 - 7); // s0 was moved by the first run, then set under the new key
    values.set('s0', 'changed during the rotation');
    const after = await SecretStore.open({ store, dataDir: dir, env: noEnv });
    for (const [name, value] of values) expect(await after.reveal(name)).toBe(value);
    expect(existsSync(join(dir, 'master.key.new'))).toBe(false);
  });

  it('with SIGNALBOX_MASTER_KEY a rotation needs SIGNALBOX_NEW_MASTER_KEY, and then works', async () => {
    const store = new MemoryEventStore();
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const dir = freshDir();
    await (
      await SecretStore.open({ store, dataDir: dir, env: { SIGNALBOX_MASTER_KEY: oldKey } })
    ).set('a', 'v', 'user:x');
    const without = await SecretStore.open({ store, dataDir: dir, env: { SIGNALBOX_MASTER_KEY: oldKey } });
    await expect(without.rotateMaster('user:x')).rejects.toThrow(/SIGNALBOX_NEW_MASTER_KEY/);
    const both = { SIGNALBOX_MASTER_KEY: oldKey, SIGNALBOX_NEW_MASTER_KEY: newKey };
    expect(
      (await (await SecretStore.open({ store, dataDir: dir, env: both })).rotateMaster('user:x')).reencrypted,
    ).toBe(1);
    const next = await SecretStore.open({ store, dataDir: dir, env: { SIGNALBOX_MASTER_KEY: newKey } });
    expect(await next.reveal('a')).toBe('v');
    expect(existsSync(join(dir, 'master.key'))).toBe(false);
  });
});

/** A client whose `nth` append of `type` (0-based) fails as if the process died just before it. */
function failingAfter(store: MemoryEventStore, type: string, nth: number): EventStore {
  let seen = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'append') return Reflect.get(target, prop, receiver) as unknown;
      return (stream: string, events: readonly NewEvent[], expected: ExpectedRevision) => {
        if (events.some((e) => e.type === type) && seen++ >= nth) return Promise.reject(new Error('killed'));
        return target.append(stream, events, expected);
      };
    },
  });
}
