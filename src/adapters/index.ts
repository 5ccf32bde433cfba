import type { AdapterDefinition } from './adapter.js';
import { fileAdapter } from './file/index.js';
import { natsAdapter } from './nats/index.js';
import { AdapterRegistry } from './registry.js';

/** A registry with every adapter this build has; each adapter issue adds its own line. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry().register(untyped(fileAdapter)).register(untyped(natsAdapter));
}

/**
 * The registry holds adapters of different settings types side by side. That is sound because it
 * only ever hands an adapter settings its own schema produced (`receiveConfig` / `sendConfig` /
 * `address.parse`); TypeScript cannot see that, and `register` accepts no typed adapter as written.
 */
function untyped<R, S>(adapter: AdapterDefinition<R, S>): AdapterDefinition {
  return adapter as unknown as AdapterDefinition;
}
