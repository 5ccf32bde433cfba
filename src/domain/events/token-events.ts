import { z } from 'zod';
import { defineEvent, nonEmpty } from './define.js';

export const tokenRoleSchema = z.enum(['viewer', 'operator', 'admin']);
export type TokenRole = z.infer<typeof tokenRoleSchema>;

const tokenId = z.string().regex(/^[a-z0-9]{8,64}$/);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * An API token was issued, in `token-{tokenId}`. Only the token's sha256 is kept: the token is a
 * long random secret shown once to whoever asked for it, so its hash cannot be reversed or guessed.
 */
export const TokenIssued = defineEvent(
  'TokenIssued',
  1,
  z.object({ tokenId, name: nonEmpty.max(100), role: tokenRoleSchema, tokenHash: sha256Hex }),
);

/** The token stops working from this event on. */
export const TokenRevoked = defineEvent('TokenRevoked', 1, z.object({ tokenId, name: nonEmpty.max(100) }));
