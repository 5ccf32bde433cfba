import fc from 'fast-check';
import type { CompareOp, FilterLiteral, FilterNode } from '../../../src/domain/filters/index.js';

/** Shared generators for the filter property tests. */

const ops: CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];

/** -0 reads back as 0 (the parser keeps one zero), so generators never produce it. */
const finiteNumber = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (n === 0 ? 0 : n));

const segment = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,6}$/);

/** Bare names, names that are keywords in disguise, and names that only the [ ] form can hold. */
export const propertyName: fc.Arbitrary<string> = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
  fc.constantFrom('and', 'OR', 'Not', 'in', 'EXISTS', 'true', 'Null', 'HTTP.Header.Content-Type', 'MQRFH2.usr.My Prop'),
  fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }),
  fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom(']', '\\', "'", '"', '.', ' ', '\n', 'a', '1', '-') }),
);

export const literal: fc.Arbitrary<FilterLiteral> = fc.oneof(
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.string({ maxLength: 6, unit: fc.constantFrom("'", '"', '\\', ']', '\n', '\t', '\u0000', '\u2028', 'x', ' ') }),
  finiteNumber,
  fc.integer({ min: -1000, max: 1000 }),
  fc.boolean(),
  fc.constant(null),
);

export function filterAst(name: fc.Arbitrary<string>, value: fc.Arbitrary<FilterLiteral>): fc.Arbitrary<FilterNode> {
  return fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 5, depthIdentifier: 'filter' },
      fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom(...ops), property: name, value }),
      fc.record({ kind: fc.constant('exists' as const), property: name }),
      fc.record({
        kind: fc.constant('in' as const),
        property: name,
        values: fc.tuple(value, fc.array(value, { maxLength: 3 })).map(([first, rest]) => [first, ...rest] as const),
      }),
      fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        operands: fc
          .tuple(tie('node'), tie('node'), fc.array(tie('node'), { maxLength: 2 }))
          .map(([a, b, rest]) => [a, b, ...rest] as const),
      }),
    ),
  })).node;
}

/** A small pool of names, so that random filters and random property maps meet often. */
export const namePool = ['a', 'NATS.Subject', 'HTTP.Header.Content-Length', 'x y', 'toString', 'constructor'];

/** Values chosen to hit the edges of the semantics: numeric strings, code point order, null. */
export const valuePool: FilterLiteral[] = [
  '',
  'a',
  'B',
  'orders.eu',
  '42',
  '42.0',
  '-1.5',
  '1e3',
  ' 42',
  '0x10',
  'Infinity',
  '1e400',
  'é',
  '\u{1F600}',
  '\uFFFF',
  0,
  42,
  -1.5,
  1000,
  0.1,
  true,
  false,
  null,
];

export const pooledValue: fc.Arbitrary<FilterLiteral> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...valuePool) },
  { weight: 1, arbitrary: literal },
);

export const promotedMap: fc.Arbitrary<Record<string, FilterLiteral>> = fc.dictionary(
  fc.constantFrom(...namePool),
  pooledValue,
  { maxKeys: namePool.length },
);
