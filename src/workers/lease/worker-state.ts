import type { ReleaseReason } from '../../domain/lease/index.js';
import type { LeaseLossReason } from './errors.js';

/**
 * A singleton worker's lifecycle. `contending` is where it spends its time when another
 * instance holds the lease; it bids only while `healthy`.
 *
 *   starting → contending ⇄ holding → (lost | releasing) → contending … → stopped
 */
export type WorkerState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'contending'; readonly healthy: boolean; readonly failing: readonly string[] }
  | { readonly kind: 'holding'; readonly term: number }
  | { readonly kind: 'lost'; readonly term: number; readonly reason: LeaseLossReason }
  | { readonly kind: 'releasing'; readonly term: number; readonly reason: ReleaseReason }
  | { readonly kind: 'stopped' };
