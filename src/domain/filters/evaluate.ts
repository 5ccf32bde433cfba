import type { CompareOp, FilterLiteral, FilterNode } from './ast.js';
import { numericValue } from './tokenizer.js';

/** The promoted properties of a message: the only ones a subscription can see. */
export type PromotedProperties = Readonly<Record<string, FilterLiteral>>;

/**
 * Whether a message whose promoted properties are `promoted` satisfies the filter.
 *
 * - A property is present when it is an own key of `promoted`, even with the value `null`;
 *   `exists` tests exactly that.
 * - Every comparison and `in` on an absent property is false, `!=` included, so `x != 1`
 *   selects messages that have an `x` other than 1; `not x == 1` also selects those without `x`.
 * - `==` / `!=`: values of one type compare as they are; a number and a string compare as numbers
 *   when the string is written exactly like a filter number literal (`'42'`, `'-1.5e3'`, not
 *   `' 42'` or `'0x2A'`); any other mix of types is unequal (so `!=` is true).
 * - `<`, `<=`, `>`, `>=`: two numbers (or a number and such a numeric string) compare as numbers,
 *   two strings by Unicode code point (no locale, no case folding, `'10' < '9'`); any other pair
 *   is unordered and every ordering comparison on it is false.
 * - `x in (a, b, …)` is `x == a or x == b or …`.
 */
export function evaluateFilter(node: FilterNode, promoted: PromotedProperties): boolean {
  switch (node.kind) {
    case 'exists':
      return Object.hasOwn(promoted, node.property);
    case 'compare': {
      if (!Object.hasOwn(promoted, node.property)) return false;
      return compare(node.op, promoted[node.property]!, node.value);
    }
    case 'in': {
      if (!Object.hasOwn(promoted, node.property)) return false;
      const actual = promoted[node.property]!;
      return node.values.some((value) => equal(actual, value));
    }
    case 'not':
      return !evaluateFilter(node.operand, promoted);
    case 'and':
      return node.operands.every((operand) => evaluateFilter(operand, promoted));
    case 'or':
      return node.operands.some((operand) => evaluateFilter(operand, promoted));
  }
}

function compare(op: CompareOp, actual: FilterLiteral, expected: FilterLiteral): boolean {
  switch (op) {
    case '==':
      return equal(actual, expected);
    case '!=':
      return !equal(actual, expected);
  }
  const order = ordering(actual, expected);
  if (order === undefined) return false;
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function equal(a: FilterLiteral, b: FilterLiteral): boolean {
  if (typeof a === 'number' && typeof b === 'string') return a === numericValue(b);
  if (typeof a === 'string' && typeof b === 'number') return numericValue(a) === b;
  return a === b;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; `undefined` when unordered. */
function ordering(a: FilterLiteral, b: FilterLiteral): number | undefined {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  const x = typeof a === 'string' ? numericValue(a) : a;
  const y = typeof b === 'string' ? numericValue(b) : b;
  if (typeof x !== 'number' || typeof y !== 'number') return undefined;
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
}

/**
 * JavaScript's `<` on strings orders UTF-16 code units, which puts U+10000 and above before
 * U+E000–U+FFFF; routing must not depend on how a runtime stores strings, so compare code points.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  while (i < a.length && i < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
