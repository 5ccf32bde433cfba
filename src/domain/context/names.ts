import { z } from 'zod';
import { ContextPropertyNameInvalid } from './errors.js';

/**
 * Namespaces the engine and its adapters use. BTS holds the engine's own system properties and
 * ERR the failed-message properties; each adapter declares its own. Any other namespace that
 * matches `NAMESPACE` is a user namespace.
 */
export const systemNamespaces = [
  'BTS',
  'ERR',
  'MQMD',
  'MQXQH',
  'MQCIH',
  'MQIIH',
  'MQRFH2',
  'FILE',
  'FTP',
  'SFTP',
  'POP3',
  'SMTP',
  'NATS',
  'HTTP',
] as const;
export type SystemNamespace = (typeof systemNamespaces)[number];

export const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*$/;
export const MAX_PROPERTY_NAME_LENGTH = 256;

/** A full property name as the type system sees it. */
export type PropertyName<N extends string = string, P extends string = string> = `${N}.${P}`;

/**
 * Why `name` is not a valid `Namespace.Property`, or `undefined` when it is. The property part
 * is free text (`Header.Content-Type`, `usr.My Prop`) because transports carry such names; it
 * only has to be non-empty dotted segments without control characters or outer blanks, which
 * keeps names printable, indexable and unambiguous to split.
 */
export function propertyNameProblem(name: string): string | undefined {
  if (name.length > MAX_PROPERTY_NAME_LENGTH) return `longer than ${MAX_PROPERTY_NAME_LENGTH} characters`;
  const dot = name.indexOf('.');
  if (dot < 0) return 'expected Namespace.Property (no "." found)';
  const namespace = name.slice(0, dot);
  if (!NAMESPACE.test(namespace)) {
    return `namespace ${JSON.stringify(namespace)} must start with a letter and hold only letters, digits and _`;
  }
  return propertyPartProblem(name.slice(dot + 1));
}

/** The same check for the part after the namespace, as adapters declare it. */
export function propertyPartProblem(property: string): string | undefined {
  if (property.length === 0) return 'the property part after the namespace is empty';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(property)) return 'contains a control character';
  if (property.trim() !== property) return 'starts or ends with a blank';
  if (property.split('.').some((segment) => segment.length === 0))
    return 'has an empty segment (".." or a trailing ".")';
  return undefined;
}

export function assertPropertyName(name: string): asserts name is PropertyName {
  const problem = propertyNameProblem(name);
  if (problem !== undefined) throw new ContextPropertyNameInvalid(name, problem);
}

/** Splits at the first dot: the namespace never holds one, the property part may. */
export function splitPropertyName(name: string): { namespace: string; property: string } {
  assertPropertyName(name);
  const dot = name.indexOf('.');
  return { namespace: name.slice(0, dot), property: name.slice(dot + 1) };
}

export const propertyNameSchema = z.string().superRefine((name, ctx) => {
  const problem = propertyNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)}: ${problem}` });
});
