import { SchemaViolation } from '../errors.js';
import { contextSchema, type MessageContext } from '../events/message-events.js';
import type { ContextNamespace } from './namespace.js';
import { propertyNameProblem } from './names.js';

/**
 * Checks a whole context, such as one a pipeline built or one read from outside: every name is
 * `Namespace.Property`, no name is both promoted and written, values are property values, and
 * properties of a declared namespace satisfy its schema (closed namespaces refuse undeclared
 * names). Namespaces not in `namespaces` are user namespaces and only get the generic checks.
 * Throws one `SchemaViolation` listing every problem.
 */
export function validateContext(input: unknown, namespaces: readonly ContextNamespace[] = []): MessageContext {
  const parsed = contextSchema.safeParse(input);
  if (!parsed.success) {
    throw new SchemaViolation(
      'message context',
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  const context = parsed.data;
  const problems: { path: string; message: string }[] = [];
  for (const set of ['promoted', 'written'] as const) {
    for (const name of Object.keys(context[set])) {
      const problem = propertyNameProblem(name);
      if (problem !== undefined) problems.push({ path: `${set}[${name}]`, message: problem });
    }
  }
  const declared = new Set<string>();
  for (const namespace of namespaces) {
    if (declared.has(namespace.namespace)) {
      throw new Error(`context namespace ${namespace.namespace} is declared twice`);
    }
    declared.add(namespace.namespace);
    problems.push(...namespace.problems(context));
  }
  for (const name of Object.keys(context.written)) {
    if (Object.hasOwn(context.promoted, name)) {
      problems.push({ path: `written[${name}]`, message: 'is both promoted and written' });
    }
  }
  if (problems.length > 0) throw new SchemaViolation('message context', problems);
  return context;
}
