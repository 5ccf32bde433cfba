import { createHash, randomBytes } from 'node:crypto';

/** A new token: 32 random bytes (256 bits), text-safe, with a prefix that makes a leaked one easy to spot. */
export function newTokenSecret(): string {
  return `sbt_${randomBytes(32).toString('base64url')}`;
}

/** A token's id: public, names it in lists and in `DELETE /tokens/{id}`. */
export function newTokenId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * What the store keeps of a token. A plain sha256 is enough here: a password needs a slow hash
 * because people pick guessable ones, but this token is 256 random bits, so nobody can guess
 * one that matches a hash, however fast they can compute hashes.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
