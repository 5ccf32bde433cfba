import { MAX_FILTER_DEPTH, type FilterLiteral, type FilterNode } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { Tokenizer, describeChar, type Keyword, type Token } from './tokenizer.js';

const A_VALUE = 'a value (string, number, true, false or null)';
const A_TEST = "a comparison operator (==, !=, <, <=, >, >=), 'in' or 'exists'";
const A_CONDITION = "a property name, '(' or 'not'";

/**
 * Parses a subscription filter (grammar in the README and in `index.ts`) into its AST.
 * Throws `FilterSyntaxError` at the first token that cannot continue a valid filter.
 */
export function parseFilter(input: string): FilterNode {
  return new Parser(input).parse();
}

class Parser {
  private readonly tokens: Tokenizer;
  private token: Token;
  /** Open parentheses and `not`s around the current position. */
  private depth = 0;

  constructor(private readonly input: string) {
    this.tokens = new Tokenizer(input);
    this.token = this.tokens.next();
  }

  parse(): FilterNode {
    const node = this.or();
    if (!this.at('eof')) throw this.error("'and', 'or' or end of input");
    return node;
  }

  private or(): FilterNode {
    const first = this.and();
    if (!this.isKeyword('or')) return first;
    const rest: FilterNode[] = [];
    while (this.isKeyword('or')) {
      this.advance();
      rest.push(this.and());
    }
    return { kind: 'or', operands: [first, ...(rest as [FilterNode])] };
  }

  private and(): FilterNode {
    const first = this.unary();
    if (!this.isKeyword('and')) return first;
    const rest: FilterNode[] = [];
    while (this.isKeyword('and')) {
      this.advance();
      rest.push(this.unary());
    }
    return { kind: 'and', operands: [first, ...(rest as [FilterNode])] };
  }

  private unary(): FilterNode {
    if (!this.isKeyword('not')) return this.primary();
    this.enter();
    this.advance();
    const operand = this.unary();
    this.depth--;
    return { kind: 'not', operand };
  }

  private primary(): FilterNode {
    const token = this.token;
    if (token.kind === '(') {
      this.enter();
      this.advance();
      const inner = this.or();
      if (!this.at(')')) throw this.error("'and', 'or' or ')'");
      this.advance();
      this.depth--;
      return inner;
    }
    if (token.kind !== 'name') throw this.error(A_CONDITION);
    const property = token.name;
    this.advance();
    const test = this.token;
    if (test.kind === 'op') {
      this.advance();
      return { kind: 'compare', op: test.op, property, value: this.literal() };
    }
    if (test.kind === 'keyword' && test.keyword === 'exists') {
      this.advance();
      return { kind: 'exists', property };
    }
    if (test.kind === 'keyword' && test.keyword === 'in') {
      this.advance();
      return { kind: 'in', property, values: this.list() };
    }
    throw this.error(A_TEST);
  }

  private list(): [FilterLiteral, ...FilterLiteral[]] {
    if (!this.at('(')) throw this.error("'(' to start the list of values");
    this.advance();
    const values: [FilterLiteral, ...FilterLiteral[]] = [this.literal()];
    while (this.at(',')) {
      this.advance();
      values.push(this.literal());
    }
    if (!this.at(')')) throw this.error("',' or ')'");
    this.advance();
    return values;
  }

  private literal(): FilterLiteral {
    const token = this.token;
    let value: FilterLiteral;
    if (token.kind === 'string' || token.kind === 'number') value = token.value;
    else if (token.kind === 'keyword' && token.keyword === 'true') value = true;
    else if (token.kind === 'keyword' && token.keyword === 'false') value = false;
    else if (token.kind === 'keyword' && token.keyword === 'null') value = null;
    else throw this.error(A_VALUE);
    this.advance();
    return value;
  }

  private enter(): void {
    if (this.depth >= MAX_FILTER_DEPTH) {
      throw this.error(`at most ${MAX_FILTER_DEPTH} levels of nested parentheses and 'not'`);
    }
    this.depth++;
  }

  /** A method rather than a field test, so the compiler does not keep a narrowing past `advance()`. */
  private at(kind: Token['kind']): boolean {
    return this.token.kind === kind;
  }

  private isKeyword(keyword: Keyword): boolean {
    return this.token.kind === 'keyword' && this.token.keyword === keyword;
  }

  private advance(): void {
    this.token = this.tokens.next();
  }

  private error(expected: string): FilterSyntaxError {
    return new FilterSyntaxError(this.input, this.token.start, expected, describe(this.input, this.token));
  }
}

const QUOTE_LIMIT = 24;

function describe(input: string, token: Token): string {
  const text = input.slice(token.start, token.end);
  const shown = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
  switch (token.kind) {
    case 'eof':
      return 'end of input';
    case 'invalid':
      return describeChar(input, token.start);
    case 'name':
      return `property name ${shown}`;
    case 'string':
      return `string ${shown}`;
    case 'number':
      return `number ${shown}`;
    default:
      return `'${shown}'`;
  }
}
