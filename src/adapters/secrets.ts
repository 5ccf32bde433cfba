import type { SecretRef } from '../domain/config/index.js';
import { PermanentAdapterError } from './errors.js';

/**
 * What adapters get to turn a secret reference into its value, at connect time, so a rotated
 * secret is picked up on the next connection. The value must never be logged or returned.
 */
export interface SecretResolver {
  reveal(ref: SecretRef): Promise<string>;
}

/** The resolver of an engine with no secret store: any credential is a configuration error. */
export const noSecrets: SecretResolver = {
  reveal(ref) {
    return Promise.reject(
      new PermanentAdapterError('SECRET_UNAVAILABLE', `secret "${ref.secret}" cannot be read: no secret store is open`),
    );
  },
};
