import { fileAdapter } from './file/index.js';
import { natsAdapter } from './nats/index.js';
import { AdapterRegistry } from './registry.js';

/** A registry with every adapter this build has; each adapter issue adds its own line. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry().register(fileAdapter).register(natsAdapter);
}
