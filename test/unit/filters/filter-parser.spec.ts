import { describe, expect, it } from 'vitest';
import { SignalboxError } from '../../../src/domain/errors.js';
import {
  filterProperties,
  FilterSyntaxError,
  MAX_FILTER_DEPTH,
  parseFilter,
  printFilter,
  type FilterNode,
} from '../../../src/domain/filters/index.js';

const cmp = (property: string, op: '==' | '!=' | '<' | '<=' | '>' | '>=', value: string | number | boolean | null) =>
  ({ kind: 'compare', op, property, value }) as const;
const exists = (property: string) => ({ kind: 'exists', property }) as const;

function syntaxError(text: string): FilterSyntaxError {
  try {
    parseFilter(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    return error as FilterSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseFilter: operators', () => {
  it.each([
    ['==', 'BTS.ReceivePortName == "orders"', cmp('BTS.ReceivePortName', '==', 'orders')],
    ['!=', "MQMD.Format != 'MQSTR'", cmp('MQMD.Format', '!=', 'MQSTR')],
    ['<', 'MQMD.Priority < 5', cmp('MQMD.Priority', '<', 5)],
    ['<=', 'MQMD.Priority <= -5', cmp('MQMD.Priority', '<=', -5)],
    ['>', 'FILE.Size > 1.5e3', cmp('FILE.Size', '>', 1500)],
    ['>=', 'FILE.Size>=0.25', cmp('FILE.Size', '>=', 0.25)],
    ['== true', 'BTS.IsDynamicSend == true', cmp('BTS.IsDynamicSend', '==', true)],
    ['== false', 'BTS.IsDynamicSend == FALSE', cmp('BTS.IsDynamicSend', '==', false)],
    ['== null', 'MQMD.CorrelId == null', cmp('MQMD.CorrelId', '==', null)],
    ['exists', 'FILE.ReceivedFileName exists', exists('FILE.ReceivedFileName')],
    [
      'in',
      "NATS.Subject in ('orders.eu', 'orders.us')",
      { kind: 'in', property: 'NATS.Subject', values: ['orders.eu', 'orders.us'] },
    ],
    ['in with one mixed value', 'a IN (1)', { kind: 'in', property: 'a', values: [1] }],
    ['not', 'not a exists', { kind: 'not', operand: exists('a') }],
    ['and', 'a exists and b exists', { kind: 'and', operands: [exists('a'), exists('b')] }],
    ['or', 'a exists or b exists', { kind: 'or', operands: [exists('a'), exists('b')] }],
  ] satisfies [string, string, FilterNode][])('%s', (_label, text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it('reads property names: dotted with inner dashes, or any text in [ ]', () => {
    expect(parseFilter('HTTP.Header.Content-Type == "text/xml"')).toEqual(
      cmp('HTTP.Header.Content-Type', '==', 'text/xml'),
    );
    expect(parseFilter('[MQRFH2.usr.My Prop] exists')).toEqual(exists('MQRFH2.usr.My Prop'));
    expect(parseFilter('[a\\]b\\\\c] exists')).toEqual(exists('a]b\\c'));
    expect(parseFilter('[and] exists')).toEqual(exists('and'));
    // A dotted name is never a keyword, and names keep their case.
    expect(parseFilter('not.In == 1')).toEqual(cmp('not.In', '==', 1));
  });

  it('reads string escapes in both quote styles', () => {
    expect(parseFilter(`a == 'it\\'s "x" \\\\ \\n\\r\\t \\u00e9 \\u{1F600}'`)).toEqual(
      cmp('a', '==', 'it\'s "x" \\ \n\r\t é 😀'),
    );
    expect(parseFilter(`a == "say \\"hi\\" and 'bye'"`)).toEqual(cmp('a', '==', `say "hi" and 'bye'`));
  });

  it('treats keywords case-insensitively and accepts any blanks', () => {
    expect(parseFilter('\n\tA EXISTS\r\nAnD   NoT b   ExIsTs ')).toEqual({
      kind: 'and',
      operands: [exists('A'), { kind: 'not', operand: exists('b') }],
    });
  });
});

describe('parseFilter: precedence and grouping', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(parseFilter('a exists or b exists and c exists')).toEqual({
      kind: 'or',
      operands: [exists('a'), { kind: 'and', operands: [exists('b'), exists('c')] }],
    });
    expect(parseFilter('a exists and b exists or c exists')).toEqual({
      kind: 'or',
      operands: [{ kind: 'and', operands: [exists('a'), exists('b')] }, exists('c')],
    });
    expect(parseFilter('not a exists and b exists')).toEqual({
      kind: 'and',
      operands: [{ kind: 'not', operand: exists('a') }, exists('b')],
    });
    expect(parseFilter('not not a exists')).toEqual({ kind: 'not', operand: { kind: 'not', operand: exists('a') } });
  });

  it('lets parentheses override precedence', () => {
    expect(parseFilter('(a exists or b exists) and c exists')).toEqual({
      kind: 'and',
      operands: [{ kind: 'or', operands: [exists('a'), exists('b')] }, exists('c')],
    });
    expect(parseFilter('not (a exists and b exists)')).toEqual({
      kind: 'not',
      operand: { kind: 'and', operands: [exists('a'), exists('b')] },
    });
    expect(parseFilter('((a exists))')).toEqual(exists('a'));
  });

  it('keeps one chain flat and an explicitly grouped one nested', () => {
    expect(parseFilter('a exists and b exists and c exists')).toEqual({
      kind: 'and',
      operands: [exists('a'), exists('b'), exists('c')],
    });
    expect(parseFilter('(a exists and b exists) and c exists')).toEqual({
      kind: 'and',
      operands: [{ kind: 'and', operands: [exists('a'), exists('b')] }, exists('c')],
    });
  });

  it('handles a very long chain without deep recursion', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `p${i} exists`).join(' or ');
    const ast = parseFilter(text);
    expect(ast.kind === 'or' && ast.operands.length).toBe(50_000);
    expect(printFilter(ast)).toBe(text);
  });
});

describe('parseFilter: syntax errors', () => {
  it('reports a missing value at the column where it should be, with a caret line', () => {
    const error = syntaxError('a == ');
    expect(error).toBeInstanceOf(SignalboxError);
    expect(error.code).toBe('FILTER_SYNTAX');
    expect(error.retryable).toBe(false);
    expect({ offset: error.offset, line: error.line, column: error.column }).toEqual({ offset: 5, line: 1, column: 6 });
    expect(error.expected).toMatch(/^a value/);
    expect(error.found).toBe('end of input');
    expect(error.message).toBe(
      [
        'filter syntax error at column 6: expected a value (string, number, true, false or null), found end of input',
        '  a == ',
        '       ^',
      ].join('\n'),
    );
  });

  it.each([
    ['', 1, /a property name, '\(' or 'not'/, 'end of input'],
    ['a', 2, /comparison operator/, 'end of input'],
    ['a = 1', 3, /comparison operator/, "'='"],
    ['a == 1 b == 2', 8, /'and', 'or' or end of input/, 'property name b'],
    ['a == 1 and', 11, /a property name/, 'end of input'],
    ['a == 1 or or b exists', 11, /a property name/, "'or'"],
    ['(a exists', 10, /'and', 'or' or '\)'/, 'end of input'],
    ['a exists)', 9, /end of input/, "')'"],
    ['a in "x"', 6, /'\(' to start the list/, 'string "x"'],
    ["a in ('x',)", 11, /a value/, "')'"],
    ["a in ('x' 'y')", 11, /',' or '\)'/, "string 'y'"],
    ['a in ()', 7, /a value/, "')'"],
    ['a == b', 6, /a value/, 'property name b'],
    ['a == @', 6, /a value/, "'@'"],
    ['a.b. == 1', 5, /a name segment after '\.'/, "' '"],
    ['a.1b == 1', 3, /a name segment/, "'1'"],
    ['== 1', 1, /a property name/, "'=='"],
    ['and == 1', 1, /a property name/, "'and'"],
    ['[] exists', 2, /a property name inside \[ \]/, "']'"],
    ['[abc exists', 12, /a closing \] for the property name that starts at column 1/, 'end of input'],
    ["a == 'abc", 10, /a closing ' for the string that starts at column 6/, 'end of input'],
    ["a == 'x\\q'", 8, /an escape sequence/, "'\\q'"],
    ["a == '\\u12'", 7, /4 hex digits/, "'\\u12''"],
    ["a == '\\u{110000}'", 7, /up to 10FFFF/, "'\\u{11000'"],
    ['a == 1e400', 6, /a finite number/, "'1e400'"],
    ['a == - 1', 6, /a value/, "'-'"],
    ['a == 1.', 7, /'and', 'or' or end of input/, "'.'"],
    ['a == 1 \u0000', 8, /'and', 'or' or end of input/, 'U+0000'],
  ])('%j fails at column %i', (text, column, expected, found) => {
    const error = syntaxError(text);
    expect(error.column).toBe(column);
    expect(error.offset).toBe(column - 1);
    expect(error.expected).toMatch(expected);
    expect(error.found).toBe(found);
    expect(error.message).toContain(`column ${column}:`);
  });

  it('reports the first error in the text, whether it is lexical or grammatical', () => {
    // An unterminated string comes later than the misplaced operator, so the operator is reported.
    expect(syntaxError("a == == 'unterminated").column).toBe(6);
  });

  it('gives line and column in multi-line filters, and the caret lines up under tabs', () => {
    const error = syntaxError('a == 1\n\tand b ==\t@\n or c exists');
    expect({ line: error.line, column: error.column, offset: error.offset }).toEqual({
      line: 2,
      column: 11,
      offset: 17,
    });
    expect(error.message).toBe(
      [
        "filter syntax error at line 2, column 11: expected a value (string, number, true, false or null), found '@'",
        '  \tand b ==\t@',
        '  \t        \t^',
      ].join('\n'),
    );
  });

  it('shows a window of a long line around the error', () => {
    const text = `${'p exists and '.repeat(20)}q ==`;
    const error = syntaxError(text);
    const [, shown, caret] = error.message.split('\n');
    expect(shown!.length).toBeLessThan(80);
    expect(shown).toMatch(/^ {2}….*q ==$/);
    expect(caret!.indexOf('^')).toBe(shown!.length);
  });

  it(`refuses nesting deeper than ${MAX_FILTER_DEPTH} instead of overflowing the stack`, () => {
    const nested = (depth: number) => `${'('.repeat(depth)}a exists${')'.repeat(depth)}`;
    expect(parseFilter(nested(MAX_FILTER_DEPTH))).toEqual(exists('a'));
    expect(syntaxError(nested(MAX_FILTER_DEPTH + 1)).offset).toBe(MAX_FILTER_DEPTH);
    expect(syntaxError(`${'not '.repeat(MAX_FILTER_DEPTH + 1)}a exists`).expected).toMatch(/levels of nested/);
    expect(syntaxError('('.repeat(100_000)).offset).toBe(MAX_FILTER_DEPTH);
  });
});

describe('printFilter', () => {
  it.each([
    ['a==1', 'a == 1'],
    ['a == "x"', "a == 'x'"],
    ["a == 'it\\'s\\n\\u0001'", "a == 'it\\'s\\n\\u0001'"],
    ['[abc.d-e] exists', 'abc.d-e exists'],
    ['[and] exists', '[and] exists'],
    ['[TRUE] exists', '[TRUE] exists'],
    ['[a b] exists', '[a b] exists'],
    ['[1a] exists', '[1a] exists'],
    ['[a]b] exists'.replace(']b', '\\]b'), '[a\\]b] exists'],
    ['a == -0', 'a == 0'],
    ['a == 1E21', 'a == 1e+21'],
    ['a == 0.000001', 'a == 0.000001'],
    ['a == TRUE or b == Null', 'a == true or b == null'],
    ['a in ( 1 ,"x",null )', "a in (1, 'x', null)"],
    ['((a exists))', 'a exists'],
    ['(a exists and b exists) or c exists', 'a exists and b exists or c exists'],
    ['a exists and (b exists or c exists)', 'a exists and (b exists or c exists)'],
    ['(a exists and b exists) and c exists', '(a exists and b exists) and c exists'],
    ['(a exists or b exists) or c exists', '(a exists or b exists) or c exists'],
    ['not (a exists or b exists)', 'not (a exists or b exists)'],
    ['not (not a exists)', 'not not a exists'],
  ])('%s prints as %s', (text, canonical) => {
    expect(printFilter(parseFilter(text))).toBe(canonical);
  });

  it('escapes lone surrogates and line separators so the text is one line of valid Unicode', () => {
    const printed = printFilter(cmp('a', '==', 'x\uD800y\u2028😀'));
    expect(printed).toBe("a == 'x\\ud800y\\u2028😀'");
    expect(Buffer.from(printed, 'utf8').toString('utf8')).toBe(printed);
  });

  it('refuses what no filter text can express', () => {
    expect(() => printFilter(cmp('a', '==', Number.NaN))).toThrow(RangeError);
    expect(() => printFilter(cmp('a', '==', Infinity))).toThrow(RangeError);
    expect(() => printFilter(exists(''))).toThrow(RangeError);
  });
});

describe('filterProperties', () => {
  it('lists each property once, in order of appearance', () => {
    expect(filterProperties(parseFilter('b exists and (a == 1 or not b in (2)) or [c d] < 3'))).toEqual([
      'b',
      'a',
      'c d',
    ]);
  });
});
