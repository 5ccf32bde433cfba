import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncPath } from '../../runtime/sync-path.js';
import { MasterKeyUnavailable } from './errors.js';

/** The master key as base64 of 32 bytes; when set, no key file is read or written. */
export const masterKeyEnv = 'SIGNALBOX_MASTER_KEY';
/** The key a rotation moves to when the master key comes from the environment. */
export const newMasterKeyEnv = 'SIGNALBOX_NEW_MASTER_KEY';

export interface MasterKey {
  /** Its fingerprint, the only thing about it the store ever records. */
  readonly id: string;
  readonly key: Buffer;
  /** Where it came from (`SIGNALBOX_MASTER_KEY`, a file), for error messages. */
  readonly source: string;
}

/**
 * A fingerprint of the key: a domain-separated sha256, cut to 128 bits. It tells keys apart and
 * reveals nothing usable about a random 256-bit key.
 */
export function masterKeyId(key: Uint8Array): string {
  return createHash('sha256').update('signalbox-master-key-id\0').update(key).digest('hex').slice(0, 32);
}

export function parseMasterKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== 32) {
    throw new MasterKeyUnavailable(`${source} must hold a master key as base64 of 32 bytes (openssl rand -base64 32)`);
  }
  return { id: masterKeyId(key), key, source };
}

export function keyFile(dataDir: string): string {
  return join(dataDir, 'master.key');
}

/** Where a rotation keeps the key it moves to until every secret is sealed under it. */
export function newKeyFile(dataDir: string): string {
  return join(dataDir, 'master.key.new');
}

export function readKeyFile(file: string): MasterKey | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MasterKeyUnavailable(`cannot read the master key file ${file}: ${(error as Error).message}`);
  }
  return parseMasterKey(text, file);
}

/**
 * Creates a key file with a fresh random key, readable by its owner only (0600), durably: the
 * file and its folder entry are fsynced before any secret is sealed under it. When another
 * process created it first, that one is used.
 */
export function createKeyFile(file: string): MasterKey {
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const existing = readKeyFile(file);
    if (!existing) throw new MasterKeyUnavailable(`the master key file ${file} vanished while being created`);
    return existing;
  }
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncPath(dirname(file));
  return { id: masterKeyId(key), key, source: file };
}

/** Makes the new key the master key file (an atomic rename over the old one). */
export function promoteNewKeyFile(dataDir: string): void {
  renameSync(newKeyFile(dataDir), keyFile(dataDir));
  syncPath(dataDir);
}
