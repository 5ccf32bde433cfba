import { secretRefSchema } from '../../domain/config/index.js';

export interface SecretReference {
  /** Where in the document: `sendPorts.0.config.password`. */
  readonly path: string;
  readonly secret: string;
}

/** Every secret reference (`{ secret: <name> }`) anywhere in a bindings document. */
export function secretReferences(document: unknown, path: readonly string[] = []): SecretReference[] {
  if (document === null || typeof document !== 'object') return [];
  const ref = secretRefSchema.safeParse(document);
  if (ref.success) return [{ path: path.join('.'), secret: ref.data.secret }];
  return Object.entries(document as Record<string, unknown>).flatMap(([key, value]) =>
    secretReferences(value, [...path, key]),
  );
}

/** The references to secrets not in `known`: a configuration that will fail to connect until they are set. */
export function missingSecrets(document: unknown, known: ReadonlySet<string>): SecretReference[] {
  return secretReferences(document).filter((ref) => !known.has(ref.secret));
}
