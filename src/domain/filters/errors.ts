import { SignalboxError } from '../errors.js';

/** Enough of the offending line to show where the error is without flooding a log line. */
const EXCERPT_WIDTH = 72;

/**
 * A filter that does not parse. `offset` is 0-based, `line` and `column` are 1-based; all count
 * UTF-16 code units, as JavaScript string indexes do. The message ends with the offending line
 * and a caret under the error, so it reads well in a log or a CLI without further formatting.
 */
export class FilterSyntaxError extends SignalboxError {
  readonly code = 'FILTER_SYNTAX';
  readonly retryable = false;
  readonly line: number;
  readonly column: number;

  constructor(
    readonly input: string,
    readonly offset: number,
    /** What the parser could have accepted here, e.g. `a value (string, number, true, false or null)`. */
    readonly expected: string,
    /** What it found instead, e.g. `end of input` or `'and'`. */
    readonly found: string,
  ) {
    const { line, column, lineText, lineStart } = locate(input, offset);
    super(
      `filter syntax error at ${positionText(input, offset)}: expected ${expected}, found ${found}\n${caret(lineText, offset - lineStart)}`,
    );
    this.line = line;
    this.column = column;
  }
}

/** `column 6` for one-line input, `line 2, column 3` otherwise. */
export function positionText(input: string, offset: number): string {
  const { line, column } = locate(input, offset);
  return input.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`;
}

function locate(input: string, offset: number) {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < input.length; i++) {
    if (input[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  const newline = input.indexOf('\n', lineStart);
  const lineText = input.slice(lineStart, newline < 0 ? input.length : newline).replace(/\r$/, '');
  return { line, column: offset - lineStart + 1, lineText, lineStart };
}

function caret(lineText: string, index: number): string {
  let from = 0;
  let to = lineText.length;
  if (to > EXCERPT_WIDTH) {
    from = Math.max(0, Math.min(index - EXCERPT_WIDTH / 2, to - EXCERPT_WIDTH));
    to = from + EXCERPT_WIDTH;
  }
  const shown = (from > 0 ? '…' : '') + lineText.slice(from, to) + (to < lineText.length ? '…' : '');
  // Tabs stay tabs under the text so the caret lines up whatever the tab width; every other
  // character (control characters included) becomes one space.
  const lead = (from > 0 ? ' ' : '') + lineText.slice(from, index).replace(/[^\t]/g, ' ');
  // eslint-disable-next-line no-control-regex -- control characters are what must not reach a terminal
  return `  ${shown.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ' ')}\n  ${lead}^`;
}
