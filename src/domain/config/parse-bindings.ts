import { SchemaViolation } from '../errors.js';
import { bindingsSchema, type Bindings } from './bindings.js';

/**
 * Validates a bindings document (already parsed from YAML or JSON). Refuses it whole, naming the
 * path of every bad field (`sendPorts.1.retry.count`), so nothing is half applied.
 */
export function parseBindings(document: unknown, source = 'bindings'): Bindings {
  const result = bindingsSchema.safeParse(document);
  if (result.success) return result.data;
  throw new SchemaViolation(
    source,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
