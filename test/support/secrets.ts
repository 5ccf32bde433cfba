import type { SecretResolver } from '../../src/adapters/secrets.js';
import { noSecrets } from '../../src/adapters/secrets.js';

/** A resolver over fixed values, for adapter tests that need a password or a key. */
export function staticSecrets(values: Record<string, string>): SecretResolver {
  return {
    reveal(ref) {
      const value = values[ref.secret];
      return value === undefined ? noSecrets.reveal(ref) : Promise.resolve(value);
    },
  };
}
