import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { elementName, leafText, parseXmlPath, selectElements, type XmlNode } from '../../src/pipeline/xml-path.js';

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, parseTagValue: false, trimValues: false });

function path(source: string) {
  const parsed = parseXmlPath(source);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.path;
}

describe('XML path syntax', () => {
  it('reads elements, a final attribute and 1-based indexes', () => {
    expect(path('/Order/Type')).toEqual({ source: '/Order/Type', steps: [{ name: 'Order' }, { name: 'Type' }] });
    expect(path('/Order/@type')).toEqual({ source: '/Order/@type', steps: [{ name: 'Order' }], attribute: 'type' });
    expect(path('/Order/Lines/Line[2]/Sku').steps).toEqual([
      { name: 'Order' },
      { name: 'Lines' },
      { name: 'Line', index: 2 },
      { name: 'Sku' },
    ]);
    expect(path('/ns:Order/x.y-z/@xml:lang')).toMatchObject({ steps: [{ name: 'ns:Order' }, { name: 'x.y-z' }] });
  });

  it.each([
    ['Order/Type', 'starts with "/"'],
    ['/Order//Type', 'at column 8: "" is not an element name'],
    ['/Order/@a/b', 'at column 8: an attribute (@name) can only be the last step'],
    ['/@a', 'at column 2: an attribute needs an element before it'],
    ['/Order/Line[0]', 'at column 8: index "[0]" must be a whole number from 1'],
    ['/Order/Line[x]', 'index "[x]"'],
    ['/items/0', 'at column 8: "0" is not an element name'],
    ['/Order/@1a', '"1a" is not an attribute name'],
  ])('refuses %j, saying where', (source, reason) => {
    const parsed = parseXmlPath(source);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});

describe('XML path selection', () => {
  const document = parser.parse(
    `<Batch>
       <Group><Order id="1"/><Order id="2"/></Group>
       <Other/>
       <Group><Order id="3"/></Group>
     </Batch>`,
  ) as XmlNode[];
  const ids = (source: string) => {
    const selection = selectElements(document, path(source).steps);
    if (!selection.found) throw new Error(selection.reason);
    return selection.matches.map((m) => (m.element[':@'] as Record<string, string>)['@_id']);
  };

  it('keeps every match in document order, across parents', () => {
    expect(ids('/Batch/Group/Order')).toEqual(['1', '2', '3']);
  });

  it('applies an index among the same-name children of each parent', () => {
    expect(ids('/Batch/Group/Order[1]')).toEqual(['1', '3']);
    expect(ids('/Batch/Group[2]/Order')).toEqual(['3']);
    expect(ids('/Batch/Group/Order[2]')).toEqual(['2']);
  });

  it('says which step found nothing', () => {
    expect(selectElements(document, path('/Batch/Group/Order[3]').steps)).toEqual({
      found: false,
      matched: 2,
      reason: 'no "Order[3]" under /Batch/Group',
    });
    expect(selectElements(document, path('/Orders').steps)).toMatchObject({
      found: false,
      matched: 0,
      reason: 'no element "Orders" as the root element',
    });
  });

  it('gives the ancestors of each match, root first', () => {
    const selection = selectElements(document, path('/Batch/Group/Order').steps);
    expect(selection.found && selection.matches[0]!.ancestors.map(elementName)).toEqual(['Batch', 'Group']);
  });

  it('reads the text of a leaf and refuses an element with children', () => {
    const [root] = parser.parse('<a>x<![CDATA[<y>]]>&amp;z</a>') as XmlNode[];
    expect(leafText(root!)).toBe('x<y>&z');
    const [parent] = parser.parse('<a>x<b/></a>') as XmlNode[];
    expect(leafText(parent!)).toBeUndefined();
  });
});
