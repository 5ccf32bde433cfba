import type { TokenRole } from '../domain/events/index.js';

export type { TokenRole };

const rank: Readonly<Record<TokenRole, number>> = { viewer: 1, operator: 2, admin: 3 };

/** viewer < operator < admin: a role may do what every lower role may. */
export function roleAllows(held: TokenRole, needed: TokenRole): boolean {
  return rank[held] >= rank[needed];
}
