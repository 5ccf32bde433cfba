import type { z } from 'zod';
import { SchemaViolation } from '../errors.js';
import { propertyValue } from '../events/define.js';
import { promoteProperty, readProperty, writeProperty, type MessageContext, type PropertyValue } from './context.js';
import { ContextPropertyMissing, ContextPropertyNameInvalid } from './errors.js';
import { NAMESPACE, propertyPartProblem, type PropertyName } from './names.js';

/** The declared properties of a namespace; each schema must produce a context property value. */
export type PropertyShape = Readonly<Record<string, z.ZodType<PropertyValue>>>;

export interface ContextNamespace<N extends string = string, S extends PropertyShape = PropertyShape> {
  readonly namespace: N;
  readonly properties: S;
  /**
   * Whether names the shape does not declare are allowed (with any property value): true for
   * namespaces whose names come from the wire, such as HTTP headers or MQRFH2 `usr` folders.
   */
  readonly open: boolean;
  /** Full names by property: `FILE.names.ReceivedFileName === 'FILE.ReceivedFileName'`. */
  readonly names: { readonly [K in keyof S & string]: PropertyName<N, K> };
  /** Validates `value` and writes it (not routable). */
  write<K extends keyof S & string>(context: MessageContext, property: K, value: z.input<S[K]>): MessageContext;
  /** Validates and promotes `value`, or the value already in the context when `value` is omitted. */
  promote<K extends keyof S & string>(context: MessageContext, property: K, value?: z.input<S[K]>): MessageContext;
  /** The property's value from either set, checked against its schema; `undefined` when absent. */
  read<K extends keyof S & string>(context: MessageContext, property: K): z.output<S[K]> | undefined;
  /** Problems with this namespace's properties in `context`, for `validateContext`. */
  problems(context: MessageContext): { path: string; message: string }[];
}

/**
 * Declares an adapter's (or the engine's) context properties, typed and validated:
 *
 * ```ts
 * export const FILE = defineContextNamespace('FILE', { ReceivedFileName: z.string().min(1) });
 * context = FILE.promote(context, 'ReceivedFileName', 'orders.xml');
 * ```
 */
export function defineContextNamespace<const N extends string, const S extends PropertyShape>(
  namespace: N,
  properties: S,
  options: { open?: boolean } = {},
): ContextNamespace<N, S> {
  if (!NAMESPACE.test(namespace)) {
    throw new ContextPropertyNameInvalid(
      `${namespace}.`,
      'a namespace must start with a letter and hold only letters, digits and _',
    );
  }
  const names = {} as Record<string, string>;
  for (const property of Object.keys(properties)) {
    const problem = propertyPartProblem(property);
    if (problem !== undefined) throw new ContextPropertyNameInvalid(`${namespace}.${property}`, problem);
    names[property] = `${namespace}.${property}`;
  }
  const open = options.open ?? false;

  const schemaOf = (property: string): z.ZodType<PropertyValue> => {
    if (!Object.hasOwn(properties, property)) {
      throw new ContextPropertyNameInvalid(`${namespace}.${property}`, `not a declared property of ${namespace}`);
    }
    return properties[property]!;
  };
  const parse = (property: string, value: unknown): PropertyValue => {
    const name = `${namespace}.${property}`;
    const problems = valueProblems(name, schemaOf(property), value);
    if (problems.length > 0) throw new SchemaViolation(`context property ${name}`, problems);
    return value as PropertyValue;
  };

  return {
    namespace,
    properties,
    open,
    names: Object.freeze(names) as ContextNamespace<N, S>['names'],
    write(context, property, value) {
      const checked = parse(property, value);
      return writeProperty(context, `${namespace}.${property}`, checked);
    },
    promote(context, property, value?) {
      const name = `${namespace}.${property}`;
      const current = value === undefined ? readProperty(context, name) : value;
      if (current === undefined) throw new ContextPropertyMissing(name);
      return promoteProperty(context, name, parse(property, current));
    },
    read(context, property) {
      const value = readProperty(context, `${namespace}.${property}`);
      return value === undefined ? undefined : (parse(property, value) as z.output<S[typeof property]>);
    },
    problems(context) {
      const found: { path: string; message: string }[] = [];
      for (const set of ['promoted', 'written'] as const) {
        for (const [name, value] of Object.entries(context[set])) {
          if (!name.startsWith(`${namespace}.`)) continue;
          const property = name.slice(namespace.length + 1);
          const path = `${set}[${name}]`;
          if (Object.hasOwn(properties, property)) {
            found.push(...valueProblems(path, properties[property]!, value));
          } else if (!open) {
            found.push({ path, message: `${namespace} declares no property ${JSON.stringify(property)}` });
          }
        }
      }
      return found;
    },
  };
}

/**
 * A context stores exactly the value it was given, so a schema may only accept or refuse: one
 * that transforms (`.trim()`, `z.coerce`) would make what was written differ from what it checked.
 */
function valueProblems(path: string, schema: z.ZodType<PropertyValue>, value: unknown) {
  const declared = schema.safeParse(value);
  if (!declared.success) {
    return declared.error.issues.map((issue) => ({
      path: [path, ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
  }
  if (!Object.is(declared.data, value)) {
    return [{ path, message: 'its schema changed the value; context property schemas must not transform' }];
  }
  const stored = propertyValue.safeParse(value);
  return stored.success ? [] : [{ path, message: 'must be a string, a finite number, a boolean or null' }];
}
