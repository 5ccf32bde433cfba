import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a sealed value is stored as: all base64, none of it the value. */
export interface Sealed {
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

const algorithm = 'aes-256-gcm';
const ivBytes = 12;
const tagBytes = 16;

/**
 * The additional authenticated data: the secret's name and version. Sealed under them, a value
 * copied into another secret's stream, or replayed as another version, fails to open.
 */
function aad(name: string, version: number): Buffer {
  return Buffer.from(`signalbox-secret\0${name}\0${version}`, 'utf8');
}

/** AES-256-GCM with a fresh random 12-byte IV for every value; the 16-byte tag is kept. */
export function seal(key: Uint8Array, name: string, version: number, value: string): Sealed {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv(algorithm, key, iv, { authTagLength: tagBytes });
  cipher.setAAD(aad(name, version));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Opens a sealed value; throws when the key, name, version or any stored byte is not the one sealed. */
export function open(key: Uint8Array, name: string, version: number, sealed: Sealed): string {
  const iv = Buffer.from(sealed.iv, 'base64');
  const tag = Buffer.from(sealed.tag, 'base64');
  if (iv.length !== ivBytes || tag.length !== tagBytes) throw new Error('bad iv or tag length');
  const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: tagBytes });
  decipher.setAAD(aad(name, version));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
}
