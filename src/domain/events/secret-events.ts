import { z } from 'zod';
import { defineEvent, nonEmpty } from './define.js';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
/** A master key's fingerprint (a hash of the key), never the key: 32 hex digits. */
export const masterKeyId = z.string().regex(/^[0-9a-f]{32}$/, 'a master key id: 32 hex digits');

/**
 * A secret value sealed with AES-256-GCM under the master key `keyId`: a fresh 12-byte `iv`,
 * the `ciphertext` and the 16-byte auth `tag`, all base64. The secret's name and version are
 * the additional authenticated data, so a sealed value moved to another name or version fails
 * to open. The plain value is never in any event.
 */
const sealed = {
  name: nonEmpty,
  /** The value's version: 1 for the first value, one more for each new value. */
  version: z.number().int().positive(),
  keyId: masterKeyId,
  iv: base64,
  ciphertext: base64,
  tag: base64,
};

/** A new value of the secret `name` (stream `secret-{name}`). */
export const SecretSet = defineEvent('SecretSet', 1, z.object(sealed));

/** The same value and version sealed again under a new master key, during a master key rotation. */
export const SecretReencrypted = defineEvent('SecretReencrypted', 1, z.object({ ...sealed, fromKeyId: masterKeyId }));

/** The first master key this store's secrets are sealed with (stream `secret-_master-key`). */
export const MasterKeyInitialized = defineEvent('MasterKeyInitialized', 1, z.object({ keyId: masterKeyId }));

/**
 * A rotation began: until `MasterKeyRotationCompleted`, secrets are sealed under either key and
 * both keys are kept; new values are sealed under `toKeyId`.
 */
export const MasterKeyRotationStarted = defineEvent(
  'MasterKeyRotationStarted',
  1,
  z.object({ fromKeyId: masterKeyId, toKeyId: masterKeyId, secrets: z.number().int().nonnegative() }),
);

/** Every secret is sealed under `toKeyId`; the old key is no longer needed. */
export const MasterKeyRotationCompleted = defineEvent(
  'MasterKeyRotationCompleted',
  1,
  z.object({ fromKeyId: masterKeyId, toKeyId: masterKeyId, reencrypted: z.number().int().nonnegative() }),
);
