/**
 * A small XPath-like subset over documents parsed by fast-xml-parser with `preserveOrder`:
 *
 *   /Order/Type                 the Type element under the root Order
 *   /Order/@type                an attribute of the last element
 *   /Order/Lines/Line[2]/Sku    `[n]` picks the n-th (1-based) same-name child of each parent
 *
 * Names are matched literally, prefix included (`/ns:Order`); namespace URIs are not resolved.
 * Like XPath, a step without an index keeps every match, so a path selects a list of elements in
 * document order.
 */

/** A node as fast-xml-parser's `preserveOrder` output gives it: `{ Name: children, ':@': attrs }` or `{ '#text': s }`. */
export type XmlNode = Record<string, unknown>;

export const ATTRIBUTES_KEY = ':@';
export const ATTRIBUTE_PREFIX = '@_';
export const TEXT_KEY = '#text';

export interface XmlStep {
  readonly name: string;
  readonly index?: number;
}

export interface XmlPath {
  readonly source: string;
  readonly steps: readonly XmlStep[];
  readonly attribute?: string;
}

export type XmlPathParse = { ok: true; path: XmlPath } | { ok: false; reason: string };

// XML 1.0 names, simplified to letters, digits and `_ . -` with at most one prefix.
const NAME = /^[\p{L}_][\p{L}\p{N}_.-]*(?::[\p{L}_][\p{L}\p{N}_.-]*)?$/u;
const STEP = /^(?<name>[^[\]]+)(?:\[(?<index>[^\]]*)\])?$/u;

export function parseXmlPath(source: string): XmlPathParse {
  if (!source.startsWith('/')) return { ok: false, reason: 'an XML path starts with "/"' };
  const steps: XmlStep[] = [];
  let attribute: string | undefined;
  const segments = source.slice(1).split('/');
  let column = 2;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const fail = (why: string): XmlPathParse => ({ ok: false, reason: `at column ${column}: ${why}` });
    if (segment.startsWith('@')) {
      if (i !== segments.length - 1) return fail('an attribute (@name) can only be the last step');
      if (i === 0) return fail('an attribute needs an element before it');
      attribute = segment.slice(1);
      if (!NAME.test(attribute)) return fail(`"${attribute}" is not an attribute name`);
    } else {
      const match = STEP.exec(segment);
      const name = match?.groups?.name;
      if (name === undefined || !NAME.test(name)) return fail(`"${segment}" is not an element name`);
      const rawIndex = match?.groups?.index;
      if (rawIndex !== undefined && !/^[1-9][0-9]*$/.test(rawIndex)) {
        return fail(`index "[${rawIndex}]" must be a whole number from 1`);
      }
      steps.push(rawIndex === undefined ? { name } : { name, index: Number(rawIndex) });
    }
    column += segment.length + 1;
  }
  return { ok: true, path: attribute === undefined ? { source, steps } : { source, steps, attribute } };
}

export function formatSteps(steps: readonly XmlStep[]): string {
  return steps.map((s) => `/${s.name}${s.index === undefined ? '' : `[${s.index}]`}`).join('');
}

/** The element's name: the one key that is neither attributes nor text. */
export function elementName(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ATTRIBUTES_KEY && key !== TEXT_KEY) return key;
  return undefined;
}

export function childNodes(node: XmlNode): XmlNode[] {
  const name = elementName(node);
  const children = name === undefined ? undefined : node[name];
  return Array.isArray(children) ? (children as XmlNode[]) : [];
}

export function attributesOf(node: XmlNode): Record<string, string> {
  const raw = node[ATTRIBUTES_KEY];
  const attributes: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null) return attributes;
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(ATTRIBUTE_PREFIX)) attributes[key.slice(ATTRIBUTE_PREFIX.length)] = String(value);
  }
  return attributes;
}

/** An element found by a path, with the elements above it (root first), whose namespace declarations it inherits. */
export interface XmlMatch {
  readonly element: XmlNode;
  readonly ancestors: readonly XmlNode[];
}

export type XmlSelection =
  | { found: true; matches: XmlMatch[] }
  /** `matched` steps found elements; step `matched` found none under them. */
  | { found: false; matched: number; reason: string };

export function selectElements(document: readonly XmlNode[], steps: readonly XmlStep[]): XmlSelection {
  let matches: XmlMatch[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const parents =
      i === 0
        ? [{ children: document, ancestors: [] as readonly XmlNode[] }]
        : matches.map((m) => ({ children: childNodes(m.element), ancestors: [...m.ancestors, m.element] }));
    matches = [];
    for (const parent of parents) {
      const named = parent.children.filter((child) => elementName(child) === step.name);
      const picked = step.index === undefined ? named : named.slice(step.index - 1, step.index);
      for (const element of picked) matches.push({ element, ancestors: parent.ancestors });
    }
    if (matches.length === 0) {
      const under = i === 0 ? 'as the root element' : `under ${formatSteps(steps.slice(0, i))}`;
      const what = step.index === undefined ? `no element "${step.name}"` : `no "${step.name}[${step.index}]"`;
      return { found: false, matched: i, reason: `${what} ${under}` };
    }
  }
  return { found: true, matches };
}

/** The element's own text (CDATA included), or `undefined` when it has child elements and so no single value. */
export function leafText(element: XmlNode): string | undefined {
  let text = '';
  for (const child of childNodes(element)) {
    if (elementName(child) !== undefined) return undefined;
    const value = child[TEXT_KEY];
    if (typeof value === 'string') text += value;
  }
  return text;
}
