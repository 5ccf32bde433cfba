import type { FilterLiteral, FilterNode } from './ast.js';
import { BARE_NAME, keywordOf } from './tokenizer.js';

/**
 * Canonical text for a filter: lowercase keywords, single spaces, single-quoted strings, only
 * the parentheses the structure needs, bare property names where the grammar allows them and
 * `[…]` otherwise. `parseFilter(printFilter(ast))` deep-equals `ast`, and printing is
 * idempotent, so the canonical text can key a cache or be compared for "same filter".
 */
export function printFilter(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${printProperty(node.property)} ${node.op} ${printLiteral(node.value)}`;
    case 'exists':
      return `${printProperty(node.property)} exists`;
    case 'in':
      return `${printProperty(node.property)} in (${node.values.map(printLiteral).join(', ')})`;
    case 'not':
      return `not ${group(node.operand, node.operand.kind === 'and' || node.operand.kind === 'or')}`;
    case 'and':
      // Parenthesise nested chains too, so `(a and b) and c` keeps its shape through a round trip.
      return node.operands.map((o) => group(o, o.kind === 'and' || o.kind === 'or')).join(' and ');
    case 'or':
      return node.operands.map((o) => group(o, o.kind === 'or')).join(' or ');
  }
}

function group(node: FilterNode, parenthesise: boolean): string {
  return parenthesise ? `(${printFilter(node)})` : printFilter(node);
}

export function printProperty(name: string): string {
  if (name.length === 0) throw new RangeError('a filter property name must not be empty');
  const bare = BARE_NAME.test(name) && (name.includes('.') || keywordOf(name) === undefined);
  return bare ? name : `[${escape(name, ']')}]`;
}

export function printLiteral(value: FilterLiteral): string {
  if (typeof value === 'string') return `'${escape(value, "'")}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`a filter number must be finite, not ${value}`);
    // String() gives the shortest text that reads back as the same double, in literal syntax.
    return String(value);
  }
  return String(value);
}

/**
 * Escapes the quote, backslashes, control characters and lone surrogates, so canonical text is
 * one line of well-formed Unicode that survives UTF-8 storage.
 */
function escape(text: string, quote: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = ch.charCodeAt(0);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += unicode(code);
    else if (code >= 0xd800 && code <= 0xdbff && isLow(text.charCodeAt(i + 1))) out += ch + text[++i]!;
    else if (code >= 0xd800 && code <= 0xdfff) out += unicode(code);
    else out += ch;
  }
  return out;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function unicode(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
