import { existsSync } from 'node:fs';
import {
  createKeyFile,
  keyFile,
  masterKeyEnv,
  newKeyFile,
  newMasterKeyEnv,
  parseMasterKey,
  promoteNewKeyFile,
  readKeyFile,
  type MasterKey,
} from './master-key.js';
import { MasterKeyMismatch, MasterKeyUnavailable } from './errors.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The master keys this process holds: the current one and, during a rotation, the one it moves
 * to. They come from `SIGNALBOX_MASTER_KEY` / `SIGNALBOX_NEW_MASTER_KEY`, or from the files
 * `<data>/master.key` / `<data>/master.key.new`; never from the event store, which records only
 * their ids. In file mode the files are read again when a value is sealed under a key not held,
 * so a running engine follows a rotation made by another process.
 */
export class Keyring {
  private primary: MasterKey | undefined;
  private pending: MasterKey | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly env: Environment,
    private readonly given?: Uint8Array,
  ) {
    this.load();
  }

  /** Keys come from files in the data folder (not from the environment or the caller). */
  get fileMode(): boolean {
    return this.given === undefined && !this.env[masterKeyEnv];
  }

  load(): void {
    if (this.given) {
      this.primary = parseMasterKey(Buffer.from(this.given).toString('base64'), 'the master key given');
    } else if (this.env[masterKeyEnv]) {
      this.primary = parseMasterKey(this.env[masterKeyEnv], masterKeyEnv);
    } else {
      this.primary = readKeyFile(keyFile(this.dataDir));
    }
    const next = this.env[newMasterKeyEnv];
    this.pending = next
      ? parseMasterKey(next, newMasterKeyEnv)
      : this.fileMode
        ? readKeyFile(newKeyFile(this.dataDir))
        : undefined;
  }

  get current(): MasterKey | undefined {
    return this.primary;
  }

  get next(): MasterKey | undefined {
    return this.pending;
  }

  find(id: string): MasterKey | undefined {
    return [this.primary, this.pending].find((k) => k?.id === id);
  }

  /** The key `id`, reading the key files again once if it is not held; a clear mismatch if not found. */
  require(id: string, what: string): MasterKey {
    let key = this.find(id);
    if (!key && this.fileMode) {
      this.load();
      key = this.find(id);
    }
    if (key) return key;
    const held = [this.primary, this.pending].filter((k): k is MasterKey => k !== undefined);
    throw new MasterKeyMismatch(
      `master key mismatch: ${what} is sealed under master key id ${id}, but ${
        held.length === 0
          ? `no master key is available (set ${masterKeyEnv} or provide ${keyFile(this.dataDir)})`
          : `the master key in use has id ${held.map((k) => `${k.id} (${k.source})`).join(' and ')}`
      }`,
    );
  }

  /** The key to seal the store's first secret with; in file mode the key file is made now. */
  initial(): MasterKey {
    if (this.primary) return this.primary;
    if (!this.fileMode) throw new MasterKeyUnavailable(`no master key: set ${masterKeyEnv}`);
    this.primary = createKeyFile(keyFile(this.dataDir));
    return this.primary;
  }

  /** The key a new rotation moves to: a key already waiting (left by an interrupted start), or a new one. */
  rotationTarget(): MasterKey {
    if (this.pending) return this.pending;
    if (!this.fileMode) {
      throw new MasterKeyUnavailable(
        `set ${newMasterKeyEnv} to the new master key (base64 of 32 bytes, e.g. openssl rand -base64 32) to rotate`,
      );
    }
    this.pending = createKeyFile(newKeyFile(this.dataDir));
    return this.pending;
  }

  /** Where the key a rotation moves to is kept until the rotation ends. */
  get pendingSource(): string {
    return this.fileMode ? newKeyFile(this.dataDir) : newMasterKeyEnv;
  }

  /** Ends a rotation's key files: the new key replaces `master.key` (file mode; nothing to do otherwise). */
  promotePending(): void {
    if (this.fileMode && existsSync(newKeyFile(this.dataDir))) promoteNewKeyFile(this.dataDir);
    this.load();
  }
}
