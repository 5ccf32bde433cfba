import type { BodyFormat } from './body.js';
import { ComponentProblem } from './errors.js';
import { parsePointer } from './json-pointer.js';
import { parseXmlPath, type XmlPath } from './xml-path.js';

/**
 * A configured path read both ways, since `/order/type` is a JSON pointer and an XML path alike;
 * the body decides which one applies. A syntax the path does not fit keeps the reason, for the
 * failure message when a body of that kind arrives.
 */
export interface BodyPath {
  readonly source: string;
  readonly json: { tokens: string[] } | { reason: string };
  readonly xml: { path: XmlPath } | { reason: string };
}

export type BodyPathCompile = { ok: true; path: BodyPath } | { ok: false; reason: string };

export function compileBodyPath(source: string, options: { elementsOnly?: boolean } = {}): BodyPathCompile {
  const pointer = parsePointer(source);
  const parsedXml = parseXmlPath(source);
  let xml: BodyPath['xml'] = parsedXml.ok ? { path: parsedXml.path } : { reason: parsedXml.reason };
  if (options.elementsOnly && parsedXml.ok && parsedXml.path.attribute !== undefined) {
    xml = { reason: 'it selects an attribute, and only elements can be split out' };
  }
  const json = pointer.ok ? { tokens: pointer.tokens } : { reason: pointer.reason };
  if ('reason' in json && 'reason' in xml) {
    return {
      ok: false,
      reason: `"${source}" is neither a JSON pointer (${json.reason}) nor an XML path (${xml.reason})`,
    };
  }
  return { ok: true, path: { source, json, xml } };
}

export function notApplicable(path: BodyPath, format: BodyFormat, reason: string): ComponentProblem {
  return new ComponentProblem(
    'PATH_NOT_APPLICABLE',
    `"${path.source}" cannot be applied to this ${format.toUpperCase()} body: it is not ${
      format === 'json' ? 'a JSON pointer' : 'an XML path'
    } (${reason})`,
  );
}
