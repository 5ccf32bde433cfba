import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ComponentProblem } from './errors.js';
import { elementName, type XmlNode } from './xml-path.js';

export type BodyFormat = 'json' | 'xml';

/**
 * Which parser a path-based component (promote, split) uses: the content type when it names JSON
 * or XML, otherwise the body's first significant character (`<` is XML, anything else JSON).
 */
export function bodyFormat(body: Buffer, contentType: string | undefined): BodyFormat {
  const media = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (media === 'application/json' || media === 'text/json' || media.endsWith('+json')) return 'json';
  if (media === 'application/xml' || media === 'text/xml' || media.endsWith('+xml')) return 'xml';
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d)) i++;
  return body[i] === 0x3c ? 'xml' : 'json';
}

/** 1-based line and column of a UTF-16 offset in `text`. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Strings stay strings (`010` is a SKU, not ten), whitespace is kept so a split element is
// re-serialised as it was written, and the metadata offsets place root-level errors.
const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  captureMetaData: true,
});
const metadata = XMLParser.getMetaDataSymbol() as unknown as symbol;

interface NodeMetadata {
  startIndex?: number;
  endIndex?: number;
}

function metadataOf(node: XmlNode): NodeMetadata | undefined {
  return (node as unknown as Record<symbol, NodeMetadata | undefined>)[metadata];
}

/**
 * Parses each body at most once per pipeline run, however many steps read it. Keyed by the body
 * buffer itself: steps that keep the body pass the same buffer on, and a split makes new ones.
 */
export class ParsedBodies {
  private readonly texts = new WeakMap<Buffer, string>();
  private readonly jsons = new WeakMap<Buffer, { value: unknown }>();
  private readonly xmls = new WeakMap<Buffer, XmlNode[]>();

  text(body: Buffer): string {
    let text = this.texts.get(body);
    if (text === undefined) {
      try {
        // A UTF-8 byte order mark is dropped; other encodings (UTF-16, Latin-1) are refused, not guessed.
        text = utf8.decode(body);
      } catch (error) {
        throw new ComponentProblem('BODY_NOT_UTF8', 'the body is not valid UTF-8', {}, { cause: error });
      }
      this.texts.set(body, text);
    }
    return text;
  }

  json(body: Buffer): unknown {
    let parsed = this.jsons.get(body);
    if (parsed === undefined) {
      const text = this.text(body);
      try {
        parsed = { value: JSON.parse(text) as unknown };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // V8 names an offset for some syntax errors ("… at position 12"), not for all.
        const offset = /at position (\d+)/.exec(message)?.[1];
        const position = offset === undefined ? undefined : positionAt(text, Number(offset));
        const where = position ? ` at line ${position.line}, column ${position.column}` : '';
        throw new ComponentProblem('JSON_INVALID', `the body is not JSON${where}: ${message}`, { position });
      }
      this.jsons.set(body, parsed);
    }
    return parsed.value;
  }

  /** The document's top-level nodes, after checking that it is well-formed XML with one root element. */
  xml(body: Buffer): XmlNode[] {
    let document = this.xmls.get(body);
    if (document === undefined) {
      const text = this.text(body);
      const verdict = XMLValidator.validate(text);
      if (verdict !== true) {
        const { msg, line, col } = verdict.err;
        const position = typeof line === 'number' ? { line, column: typeof col === 'number' ? col : 1 } : undefined;
        const where = position ? ` at line ${position.line}, column ${position.column}` : '';
        throw new ComponentProblem('XML_MALFORMED', `the body is not well-formed XML${where}: ${msg}`, { position });
      }
      try {
        document = xmlParser.parse(text) as XmlNode[];
      } catch (error) {
        // The validator is laxer than the parser (it does not look past the root element), so
        // most parser errors are syntax; its own safety limits are a different matter.
        const message = error instanceof Error ? error.message : String(error);
        const limit = /maximum|limit exceeded|\[SECURITY\]|not supported/i.test(message);
        throw new ComponentProblem(
          limit ? 'XML_UNSUPPORTED' : 'XML_MALFORMED',
          limit ? `the XML parser refused the body: ${message}` : `the body is not well-formed XML: ${message}`,
          {},
          { cause: error },
        );
      }
      checkSingleRoot(text, document);
      this.xmls.set(body, document);
    }
    return document;
  }
}

/**
 * fast-xml-parser's validator accepts several root elements and ignores text after the root;
 * well-formed XML has exactly one root and only comments, processing instructions and blanks
 * after it.
 */
function checkSingleRoot(text: string, document: XmlNode[]): void {
  const roots = document.filter((node) => elementName(node) !== undefined);
  const malformed = (offset: number | undefined, why: string) => {
    const position = offset === undefined ? undefined : positionAt(text, offset);
    const where = position ? ` at line ${position.line}, column ${position.column}` : '';
    return new ComponentProblem('XML_MALFORMED', `the body is not well-formed XML${where}: ${why}`, { position });
  };
  if (roots.length === 0) throw malformed(undefined, 'it has no root element');
  if (roots.length > 1) {
    throw malformed(
      metadataOf(roots[1]!)?.startIndex,
      `a second root element "${elementName(roots[1]!)}" follows the first`,
    );
  }
  const end = metadataOf(roots[0]!)?.endIndex;
  if (end === undefined) return;
  const stray = strayContentAfter(text, end);
  if (stray !== undefined) throw malformed(stray, 'content after the root element');
}

/** Offset of the first thing after `from` that is not a blank, comment or processing instruction. */
function strayContentAfter(text: string, from: number): number | undefined {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      if (close === -1) return i;
      i = close + 3;
    } else if (text.startsWith('<?', i)) {
      const close = text.indexOf('?>', i + 2);
      if (close === -1) return i;
      i = close + 2;
    } else return i;
  }
  return undefined;
}
