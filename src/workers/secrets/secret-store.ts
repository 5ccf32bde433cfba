import { PermanentAdapterError } from '../../adapters/errors.js';
import type { SecretResolver } from '../../adapters/secrets.js';
import { secretName, type SecretRef } from '../../domain/config/index.js';
import { SchemaViolation, SignalboxError } from '../../domain/errors.js';
import { streams } from '../../domain/streams.js';
import type { EventStore } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import { makeEvent } from '../../store/make-event.js';
import { SecretCorrupt, SecretNotFound } from './errors.js';
import { Keyring, type Environment } from './keyring.js';
import type { MasterKey } from './master-key.js';
import { rotateMasterKey, type RotationResult } from './rotation.js';
import { open, seal } from './seal.js';
import {
  masterStream,
  readAllSecrets,
  readMaster,
  readSecret,
  writeKeyId,
  type SecretState,
} from './secret-streams.js';

export interface SecretStoreOptions {
  readonly store: EventStore;
  /** Where `master.key` lives when `SIGNALBOX_MASTER_KEY` is not set. */
  readonly dataDir: string;
  /** The master key itself (32 bytes), instead of the environment or the key file. */
  readonly masterKey?: Uint8Array;
  /** Default `process.env`. */
  readonly env?: Environment;
}

export interface SecretListing {
  readonly name: string;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** The master key the value is sealed under now. */
  readonly keyId: string;
}

/** A conflicting append is retried this often before giving up (another writer kept winning). */
const maxAttempts = 10;

/**
 * Secrets as events: each value sealed with AES-256-GCM under the master key before it is
 * appended to `secret-{name}` with its actor. The master key never reaches the store (only its
 * id does); see `Keyring` for where it comes from and docs/secrets.md for rotation.
 */
export class SecretStore {
  private constructor(
    private readonly store: EventStore,
    private readonly keys: Keyring,
  ) {}

  // Async so that a malformed key is a rejection, like every later failure.
  static async open(options: SecretStoreOptions): Promise<SecretStore> {
    return new SecretStore(options.store, new Keyring(options.dataDir, options.env ?? process.env, options.masterKey));
  }

  async set(name: string, value: string, actor: string): Promise<{ name: string; version: number }> {
    const checked = secretName.safeParse(name);
    if (!checked.success) {
      throw new SchemaViolation('secret name', [{ path: 'name', message: checked.error.issues[0]!.message }]);
    }
    if (value.length === 0) throw new SchemaViolation(`secret ${name}`, [{ path: 'value', message: 'empty value' }]);
    for (let attempt = 1; ; attempt++) {
      const key = await this.writeKey(actor);
      const current = await readSecret(this.store, name);
      const version = (current?.version ?? 0) + 1;
      try {
        await this.store.append(
          streams.secret(name),
          [makeEvent('SecretSet', { name, version, keyId: key.id, ...seal(key.key, name, version, value) }, { actor })],
          current ? current.revision : 'no_stream',
        );
      } catch (error) {
        if (error instanceof WrongExpectedRevision && attempt < maxAttempts) continue;
        throw error;
      }
      // A rotation that began while this value was being sealed may have passed it by: seal it
      // under the new key now, so the rotation's end never leaves it under a key about to go.
      const after = writeKeyId(await readMaster(this.store));
      if (after !== undefined && after !== key.id)
        await this.reseal(name, this.keys.require(after, 'the rotation'), actor);
      return { name, version };
    }
  }

  async list(): Promise<SecretListing[]> {
    return (await readAllSecrets(this.store)).map((s) => ({
      name: s.name,
      version: s.version,
      updatedAt: s.updatedAt.toISOString(),
      updatedBy: s.updatedBy,
      keyId: s.keyId,
    }));
  }

  /** The value of a secret; only adapters (through `resolver()`) and tests should call this. */
  async reveal(name: string): Promise<string> {
    const state = await readSecret(this.store, name);
    if (!state) throw new SecretNotFound(`no secret "${name}": set it with \`signalbox secrets set ${name}\``);
    return this.openState(state);
  }

  /** What adapters get: a reveal whose failures are permanent adapter errors naming the secret, never its value. */
  resolver(): SecretResolver {
    return {
      reveal: async (ref: SecretRef) => {
        try {
          return await this.reveal(ref.secret);
        } catch (error) {
          if (error instanceof SignalboxError) {
            throw new PermanentAdapterError(error.code, error.message);
          }
          throw error;
        }
      },
    };
  }

  /**
   * Seals every secret again under a new master key, as new events; see `rotateMasterKey` for
   * how an interrupted rotation loses nothing.
   */
  rotateMaster(actor: string, onProgress?: (done: number, total: number) => void): Promise<RotationResult> {
    return rotateMasterKey(
      {
        store: this.store,
        keys: this.keys,
        list: () => readAllSecrets(this.store),
        reseal: (name, target) => this.reseal(name, target, actor),
      },
      actor,
      onProgress,
    );
  }

  /**
   * Whether this process can open the store's secrets: undefined when it can (or there are
   * none yet), otherwise the mismatch, for an engine to report at start.
   */
  async masterKeyProblem(): Promise<string | undefined> {
    const master = await readMaster(this.store);
    const id = writeKeyId(master);
    if (id === undefined) return undefined;
    try {
      this.keys.require(id, "this store's secrets");
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** The key new values are sealed under; the store's first secret records which key that is. */
  private async writeKey(actor: string): Promise<MasterKey> {
    for (let attempt = 1; ; attempt++) {
      const master = await readMaster(this.store);
      const id = writeKeyId(master);
      if (id !== undefined) return this.keys.require(id, "this store's secrets");
      const key = this.keys.initial();
      try {
        await this.store.append(
          masterStream,
          [makeEvent('MasterKeyInitialized', { keyId: key.id }, { actor })],
          'no_stream',
        );
        return key;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= maxAttempts) throw error;
      }
    }
  }

  /** Seals the secret's latest value again under `target`; false when it already is. */
  private async reseal(name: string, target: MasterKey, actor: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const state = await readSecret(this.store, name);
      if (!state || state.keyId === target.id) return false;
      const value = this.openState(state);
      try {
        await this.store.append(
          streams.secret(name),
          [
            makeEvent(
              'SecretReencrypted',
              {
                name,
                version: state.version,
                keyId: target.id,
                fromKeyId: state.keyId,
                ...seal(target.key, name, state.version, value),
              },
              { actor },
            ),
          ],
          state.revision,
        );
        return true;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= maxAttempts) throw error;
      }
    }
  }

  private openState(state: SecretState): string {
    const key = this.keys.require(state.keyId, `secret "${state.name}" (version ${state.version})`);
    try {
      return open(key.key, state.name, state.version, state);
    } catch (error) {
      throw new SecretCorrupt(
        `secret "${state.name}" (version ${state.version}) failed its authentication check under master key id ${key.id}: the stored value was altered or damaged`,
        { cause: error },
      );
    }
  }
}
