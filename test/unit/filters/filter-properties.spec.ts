import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluateFilter,
  FilterSyntaxError,
  parseFilter,
  printFilter,
  type FilterLiteral,
  type FilterNode,
} from '../../../src/domain/filters/index.js';
import { tokenize } from '../../../src/domain/filters/tokenizer.js';
import { filterAst, literal, namePool, pooledValue, promotedMap, propertyName } from './arbitraries.js';

const runs = { numRuns: 500 };

/** Parses, and checks that any failure is a FilterSyntaxError pointing inside the input. */
function parseOrSyntaxError(text: string): FilterNode | FilterSyntaxError {
  try {
    return parseFilter(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const syntax = error as FilterSyntaxError;
    expect(syntax.offset).toBeGreaterThanOrEqual(0);
    expect(syntax.offset).toBeLessThanOrEqual(text.length);
    expect(syntax.column).toBeGreaterThanOrEqual(1);
    return syntax;
  }
}

describe('print and parse', () => {
  it('parse(print(ast)) equals ast, and printing is canonical', () => {
    fc.assert(
      fc.property(filterAst(propertyName, literal), (ast) => {
        const text = printFilter(ast);
        const parsed = parseFilter(text);
        expect(parsed).toEqual(ast);
        expect(printFilter(parsed)).toBe(text);
      }),
      runs,
    );
  });

  it('parses any spelling of a filter (blanks, case, quotes, escapes, extra parentheses) to the same AST', () => {
    fc.assert(
      fc.property(filterAst(propertyName, literal), fc.gen(), (ast, g) => {
        const text = noisyPrint(ast, (n) => g(fc.nat, { max: n - 1 }));
        expect(parseFilter(text)).toEqual(ast);
      }),
      runs,
    );
  });

  it('never crashes on random text: it parses (and round-trips) or throws FilterSyntaxError inside the input', () => {
    const filterish = fc.string({
      maxLength: 40,
      unit: fc.constantFrom(
        ...'ab.-_[]()\'"\\,=!<> 019e'.split(''),
        ' and ',
        ' or ',
        'not ',
        ' in ',
        ' exists',
        'true',
        'null',
        '\\u{',
        '\n',
      ),
    });
    fc.assert(
      fc.property(fc.oneof(filterish, fc.string({ unit: 'binary', maxLength: 40 })), (text) => {
        const result = parseOrSyntaxError(text);
        if (!(result instanceof FilterSyntaxError)) expect(parseFilter(printFilter(result))).toEqual(result);
      }),
      { numRuns: 3000 },
    );
  });

  it('a junk token inserted into a valid filter fails at or after the insertion point', () => {
    // Each of these is invalid wherever it is inserted between tokens: `)` unbalances the
    // parentheses, `,` only ever separates list values, a second comparison operator never
    // follows a value, `exists` never follows a value or starts a condition, the rest start no token.
    const junk = fc.constantFrom(')', ',', '==', '>=', '@', ']', ';', '#', 'exists');
    fc.assert(
      fc.property(filterAst(propertyName, literal), junk, fc.nat(), (ast, token, pick) => {
        const text = printFilter(ast);
        const boundaries = tokenize(text).map((t) => t.start);
        const at = boundaries[pick % boundaries.length]!;
        const broken = `${text.slice(0, at)} ${token} ${text.slice(at)}`;
        const result = parseOrSyntaxError(broken);
        expect(result).toBeInstanceOf(FilterSyntaxError);
        // Everything before the insertion is a prefix of a valid filter, so no error can come earlier.
        expect((result as FilterSyntaxError).offset).toBeGreaterThanOrEqual(at);
      }),
      runs,
    );
  });
});

describe('evaluate', () => {
  it('agrees with an independent reference evaluator', () => {
    const name = fc.constantFrom(...namePool);
    fc.assert(
      fc.property(filterAst(name, pooledValue), promotedMap, (ast, promoted) => {
        expect(evaluateFilter(ast, promoted)).toBe(reference(ast, promoted));
      }),
      { numRuns: 2000 },
    );
  });

  it('evaluates the parsed text of a filter as it evaluates the filter', () => {
    fc.assert(
      fc.property(filterAst(fc.constantFrom(...namePool), pooledValue), promotedMap, (ast, promoted) => {
        expect(evaluateFilter(parseFilter(printFilter(ast)), promoted)).toBe(evaluateFilter(ast, promoted));
      }),
      runs,
    );
  });

  it('`not x` is the complement of `x`, and `!=` is the complement of `==` exactly when the property exists', () => {
    fc.assert(
      fc.property(filterAst(fc.constantFrom(...namePool), pooledValue), promotedMap, (ast, promoted) => {
        expect(evaluateFilter({ kind: 'not', operand: ast }, promoted)).toBe(!evaluateFilter(ast, promoted));
      }),
      runs,
    );
    fc.assert(
      fc.property(fc.constantFrom(...namePool), pooledValue, promotedMap, (property, value, promoted) => {
        const eq = evaluateFilter({ kind: 'compare', op: '==', property, value }, promoted);
        const ne = evaluateFilter({ kind: 'compare', op: '!=', property, value }, promoted);
        expect(ne).toBe(Object.hasOwn(promoted, property) ? !eq : false);
      }),
      runs,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Reference evaluator: the documented semantics, written out by type pair without reusing any of
// the implementation's helpers.

type Kind = 'string' | 'number' | 'boolean' | 'null';

function kindOf(v: FilterLiteral): Kind {
  return v === null ? 'null' : (typeof v as Kind);
}

function refNumber(s: string): number | undefined {
  const match = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.exec(s);
  if (!match) return undefined;
  const n = parseFloat(s);
  return isFinite(n) ? n : undefined;
}

/** -1/0/1, or null when the pair has no order; `eqOnly` asks only for equality. */
function refCompare(a: FilterLiteral, b: FilterLiteral): -1 | 0 | 1 | null {
  const pair = `${kindOf(a)}/${kindOf(b)}`;
  let x: number | undefined;
  let y: number | undefined;
  switch (pair) {
    case 'string/string': {
      const ca = Array.from(a as string, (c) => c.codePointAt(0)!);
      const cb = Array.from(b as string, (c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
        if (ca[i] !== cb[i]) return ca[i]! < cb[i]! ? -1 : 1;
      }
      return ca.length === cb.length ? 0 : ca.length < cb.length ? -1 : 1;
    }
    case 'number/number':
      [x, y] = [a as number, b as number];
      break;
    case 'number/string':
      [x, y] = [a as number, refNumber(b as string)];
      break;
    case 'string/number':
      [x, y] = [refNumber(a as string), b as number];
      break;
    default:
      return null;
  }
  if (x === undefined || y === undefined) return null;
  return x === y ? 0 : x < y ? -1 : 1;
}

function refEquals(a: FilterLiteral, b: FilterLiteral): boolean {
  if (kindOf(a) === 'boolean' || kindOf(a) === 'null' || kindOf(b) === 'boolean' || kindOf(b) === 'null') {
    return a === b;
  }
  return refCompare(a, b) === 0;
}

function reference(node: FilterNode, props: Record<string, FilterLiteral>): boolean {
  const has = (p: string) => Object.keys(props).includes(p);
  switch (node.kind) {
    case 'exists':
      return has(node.property);
    case 'in':
      return has(node.property) && node.values.some((v) => refEquals(props[node.property]!, v));
    case 'compare': {
      if (!has(node.property)) return false;
      const actual = props[node.property]!;
      if (node.op === '==') return refEquals(actual, node.value);
      if (node.op === '!=') return !refEquals(actual, node.value);
      const c = refCompare(actual, node.value);
      if (c === null) return false;
      return { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[node.op];
    }
    case 'not':
      return !reference(node.operand, props);
    case 'and':
      return node.operands.map((o) => reference(o, props)).every(Boolean);
    case 'or':
      return node.operands.map((o) => reference(o, props)).some(Boolean);
  }
}

// ---------------------------------------------------------------------------------------------
// A printer that spells the same filter in every way the grammar allows, driven by `choose(n)`
// (a number in [0, n)), written independently of `printFilter`.

function noisyPrint(ast: FilterNode, choose: (n: number) => number): string {
  const pick = <T>(options: readonly T[]): T => options[choose(options.length)]!;
  const blank = () => pick(['', '', ' ', '  ', '\t', '\n', '\r\n']);
  const keyword = (word: string) =>
    Array.from(word, (c) => (choose(2) === 0 ? c.toUpperCase() : c.toLowerCase())).join('');
  const escapeChar = (c: string, quote: string): string => {
    const code = c.codePointAt(0)!;
    const forms = [`\\u{${code.toString(16)}}`];
    if (code <= 0xffff) forms.push(`\\u${code.toString(16).padStart(4, '0').toUpperCase()}`);
    if (c === quote || c === '\\') return pick([`\\${c}`, ...forms]);
    if (c === '\n') forms.push('\\n');
    if (c === '\t') forms.push('\\t');
    if (c === '\r') forms.push('\\r');
    if (c === ']' || c === "'" || c === '"') forms.push(`\\${c}`);
    return choose(3) === 0 ? pick(forms) : c;
  };
  const quoted = (text: string, open: string, close: string) =>
    open + Array.from(text, (c) => escapeChar(c, close)).join('') + close;
  const isBare = (name: string) =>
    /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(name) &&
    (name.includes('.') || !['and', 'or', 'not', 'in', 'exists', 'true', 'false', 'null'].includes(name.toLowerCase()));
  const property = (name: string) => (isBare(name) && choose(3) > 0 ? name : quoted(name, '[', ']'));
  const value = (v: FilterLiteral): string => {
    if (typeof v === 'string') return choose(2) === 0 ? quoted(v, "'", "'") : quoted(v, '"', '"');
    if (typeof v === 'number') return choose(2) === 0 ? String(v) : v.toExponential();
    return keyword(String(v));
  };
  // Blanks are optional between punctuation; two words (names, keywords, numbers) need at least one.
  const join = (parts: string[]) =>
    parts.reduce((text, part) => {
      const gap = blank();
      const needsBlank = /[\w.-]$/.test(text) && /^[\w.-]/.test(part);
      return text + (needsBlank && gap === '' ? ' ' : gap) + part;
    }, '');
  const node = (n: FilterNode): string => {
    const printed = bare(n);
    return choose(6) === 0 ? join(['(', printed, ')']) : printed;
  };
  const group = (n: FilterNode, needed: boolean) => (needed ? join(['(', node(n), ')']) : node(n));
  const bare = (n: FilterNode): string => {
    switch (n.kind) {
      case 'compare':
        return join([property(n.property), n.op, value(n.value)]);
      case 'exists':
        return join([property(n.property), keyword('exists')]);
      case 'in':
        return join([property(n.property), keyword('in'), '(', n.values.map(value).join(`${blank()},`), ')']);
      case 'not':
        return join([keyword('not'), group(n.operand, n.operand.kind === 'and' || n.operand.kind === 'or')]);
      case 'and':
        return join(
          n.operands.flatMap((o, i) => [
            ...(i > 0 ? [keyword('and')] : []),
            group(o, o.kind === 'and' || o.kind === 'or'),
          ]),
        );
      case 'or':
        return join(n.operands.flatMap((o, i) => [...(i > 0 ? [keyword('or')] : []), group(o, o.kind === 'or')]));
    }
  };
  return join(['', node(ast), '']);
}
