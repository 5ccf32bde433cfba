import type { SecretResolver } from '../../src/adapters/secrets.js';
import { startTestEngine, type TestEngine } from './support/engine.js';

export type MailEngine = TestEngine;

/** `startTestEngine` with a secret resolver for the mail adapters' passwords. */
export function startMailEngine(
  dir: string,
  bindings: unknown,
  secrets: SecretResolver,
  name = 'main',
  leaseTtlMs = 600,
): Promise<MailEngine> {
  return startTestEngine(dir, bindings, name, { secrets, leaseTtlMs });
}
