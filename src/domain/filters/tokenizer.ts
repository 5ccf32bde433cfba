import type { CompareOp } from './ast.js';
import { FilterSyntaxError, positionText } from './errors.js';

export const keywords = ['and', 'or', 'not', 'in', 'exists', 'true', 'false', 'null'] as const;
export type Keyword = (typeof keywords)[number];

interface Span {
  /** 0-based offset of the first code unit. */
  readonly start: number;
  /** 0-based offset just past the last code unit. */
  readonly end: number;
}

export type Token = Span &
  (
    | { readonly kind: 'name'; readonly name: string }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'number'; readonly value: number }
    | { readonly kind: 'keyword'; readonly keyword: Keyword }
    | { readonly kind: 'op'; readonly op: CompareOp }
    | { readonly kind: '(' | ')' | ',' | 'eof' }
    /** A character that starts no token; the parser reports it with what it expected there. */
    | { readonly kind: 'invalid' }
  );

const SEGMENT = '[A-Za-z_][A-Za-z0-9_-]*';
/** A bare property name: dotted segments, `-` allowed after a segment's first character. */
export const BARE_NAME = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`);
const SEGMENT_AT = new RegExp(SEGMENT, 'y');
const NUMBER_AT = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const NUMBER = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * The number a string holds when it is written exactly as a filter number literal (no blanks,
 * no `0x`, no `Infinity`) and is finite; `undefined` otherwise. The evaluator uses the same rule
 * to compare a number with a string, so `'42'` means 42 in a property exactly as it does in a filter.
 */
export function numericValue(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  // -0 and 0 compare equal everywhere; keeping one of them makes ASTs compare structurally.
  return value === 0 ? 0 : value;
}

export function keywordOf(name: string): Keyword | undefined {
  const lower = name.toLowerCase();
  return (keywords as readonly string[]).includes(lower) ? (lower as Keyword) : undefined;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  ']': ']',
  n: '\n',
  r: '\r',
  t: '\t',
};
const ESCAPE_LIST = '\\\\, \\\', \\", \\], \\n, \\r, \\t, \\uXXXX or \\u{X…}';

/**
 * Turns filter text into tokens one at a time, so that the parser reports whichever error comes
 * first in the text, lexical or grammatical.
 */
export class Tokenizer {
  private pos = 0;

  constructor(private readonly input: string) {}

  next(): Token {
    const input = this.input;
    while (this.pos < input.length && ' \t\r\n'.includes(input[this.pos]!)) this.pos++;
    const start = this.pos;
    if (start >= input.length) return { kind: 'eof', start, end: start };
    const ch = input[start]!;
    const two = input.slice(start, start + 2);
    if (ch === '(' || ch === ')' || ch === ',') {
      this.pos++;
      return { kind: ch, start, end: this.pos };
    }
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      this.pos += 2;
      return { kind: 'op', op: two, start, end: this.pos };
    }
    if (ch === '<' || ch === '>') {
      this.pos++;
      return { kind: 'op', op: ch, start, end: this.pos };
    }
    if (ch === "'" || ch === '"') {
      const value = this.quoted(ch, 'string');
      return { kind: 'string', value, start, end: this.pos };
    }
    if (ch === '[') {
      const name = this.quoted(']', 'property name');
      if (name.length === 0) throw this.error(start + 1, 'a property name inside [ ]', "']'");
      return { kind: 'name', name, start, end: this.pos };
    }
    if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(input[start + 1] ?? ''))) return this.number(start);
    if (/[A-Za-z_]/.test(ch)) return this.name(start);
    this.pos = start + (input.codePointAt(start)! > 0xffff ? 2 : 1);
    return { kind: 'invalid', start, end: this.pos };
  }

  private number(start: number): Token {
    NUMBER_AT.lastIndex = start;
    const text = NUMBER_AT.exec(this.input)![0];
    const value = numericValue(text);
    if (value === undefined) throw this.error(start, 'a finite number', `'${text}'`);
    this.pos = start + text.length;
    return { kind: 'number', value, start, end: this.pos };
  }

  private name(start: number): Token {
    let end = this.segmentEnd(start)!;
    while (this.input[end] === '.') {
      const next = this.segmentEnd(end + 1);
      if (next === undefined) {
        throw this.error(end + 1, "a name segment after '.' (or a [quoted] name)", describeChar(this.input, end + 1));
      }
      end = next;
    }
    this.pos = end;
    const name = this.input.slice(start, end);
    // Only a one-segment name can be a keyword: `not.x` is a property, `NOT` is `not`.
    const keyword = name.includes('.') ? undefined : keywordOf(name);
    return keyword ? { kind: 'keyword', keyword, start, end } : { kind: 'name', name, start, end };
  }

  private segmentEnd(at: number): number | undefined {
    SEGMENT_AT.lastIndex = at;
    const match = SEGMENT_AT.exec(this.input);
    return match ? at + match[0].length : undefined;
  }

  /** Reads from the opening character at `this.pos` to `close`, decoding escapes. */
  private quoted(close: string, what: string): string {
    const input = this.input;
    const open = this.pos;
    let out = '';
    let i = open + 1;
    for (;;) {
      if (i >= input.length) {
        throw this.error(
          i,
          `a closing ${close} for the ${what} that starts at ${positionText(input, open)}`,
          'end of input',
        );
      }
      const ch = input[i]!;
      if (ch === close) break;
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const esc = input[i + 1];
      if (esc !== undefined && ESCAPES[esc] !== undefined) {
        out += ESCAPES[esc];
        i += 2;
      } else if (esc === 'u') {
        const [text, length] = this.unicodeEscape(i);
        out += text;
        i += length;
      } else {
        throw this.error(i, `an escape sequence (${ESCAPE_LIST})`, `'\\${esc ?? ''}'`);
      }
    }
    this.pos = i + 1;
    return out;
  }

  /** Decodes `\uXXXX` or `\u{X…}` at `at`; returns the text and how many code units it spanned. */
  private unicodeEscape(at: number): [string, number] {
    const rest = this.input.slice(at, at + 12);
    const braced = /^\\u\{([0-9A-Fa-f]{1,6})\}/.exec(rest);
    if (braced) {
      const code = parseInt(braced[1]!, 16);
      if (code <= 0x10ffff) return [String.fromCodePoint(code), braced[0].length];
    }
    const plain = /^\\u([0-9A-Fa-f]{4})/.exec(rest);
    if (plain) return [String.fromCharCode(parseInt(plain[1]!, 16)), plain[0].length];
    throw this.error(at, '\\uXXXX (4 hex digits) or \\u{X…} (up to 10FFFF)', `'${rest.slice(0, 8)}'`);
  }

  private error(offset: number, expected: string, found: string): FilterSyntaxError {
    return new FilterSyntaxError(this.input, offset, expected, found);
  }
}

/** The tokens of `input` up to and including the final `eof` (or the first `invalid` one). */
export function tokenize(input: string): Token[] {
  const tokenizer = new Tokenizer(input);
  const tokens: Token[] = [];
  for (;;) {
    const token = tokenizer.next();
    tokens.push(token);
    if (token.kind === 'eof' || token.kind === 'invalid') return tokens;
  }
}

export function describeChar(input: string, offset: number): string {
  const code = input.codePointAt(offset);
  if (code === undefined) return 'end of input';
  const printable =
    code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0) && !(code >= 0xd800 && code < 0xe000);
  return printable ? `'${String.fromCodePoint(code)}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
