import type { SecretResolver } from '../../src/adapters/secrets.js';
import { startTestEngine, type TestEngine } from '../integration/support/engine.js';

export type RemoteFileEngine = TestEngine;

/** `startTestEngine` with a secret resolver for the FTP password or the SSH key. */
export function startRemoteFileEngine(
  dir: string,
  bindings: unknown,
  secrets: SecretResolver,
  options: { name?: string; leaseTtlMs?: number } = {},
): Promise<RemoteFileEngine> {
  const { name, ...rest } = options;
  return startTestEngine(dir, bindings, name, { secrets, ...rest });
}
