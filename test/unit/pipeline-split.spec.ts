import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { compilePipeline, PipelineConfigInvalid } from '../../src/pipeline/index.js';
import { expectFailure, failureOf, message, run, text } from './pipeline-helpers.js';

const split = (path: string): PipelineStep[] => [{ component: 'passthrough' }, { component: 'split', path }];

// An independent reading of the XML for the round-trip comparisons, order and whitespace kept.
const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, parseTagValue: false, trimValues: false });
const parseXml = (xml: string) => parser.parse(xml) as Record<string, unknown>[];

describe('split a JSON batch', () => {
  const orders = [{ id: 1, lines: [{ sku: 'A' }] }, { id: 2, note: 'caf\u00e9 \u2603' }, 'three', 4, null, [5]];
  const batch = JSON.stringify({ batch: { orders } });

  it('makes one message per element; each body parses back to its element', async () => {
    const context = { promoted: { 'BTS.ReceivePortName': 'orders' }, written: { 'FILE.ReceivedFileName': 'b.json' } };
    const out = await compilePipeline(split('/batch/orders'))(message(batch, 'application/json', context));
    expect(out).toHaveLength(orders.length);
    expect(out.map((m) => JSON.parse(text(m)) as unknown)).toEqual(orders);
    out.forEach((m, index) => {
      expect(m.batch).toEqual({ index, count: orders.length });
      expect(m.contentType).toBe('application/json');
      expect(m.context).toEqual(context);
      // A copy per record, so a later step changing one record's context leaves the others alone.
      expect(m.context.promoted).not.toBe(context.promoted);
    });
    expect(out[0]!.context.promoted).not.toBe(out[1]!.context.promoted);
  });

  it('splits the whole document when it is the array (pointer "")', async () => {
    const out = await run(split(''), '[{"a":1},{"a":2}]');
    expect(out.map(text)).toEqual(['{"a":1}', '{"a":2}']);
    expect(out[0]!.contentType).toBeUndefined();
  });

  it('keeps a large batch whole', async () => {
    // More records than a spread call can take as arguments.
    const count = 200_000;
    const out = await run(split('/n'), JSON.stringify({ n: Array.from({ length: count }, (_, i) => i) }));
    expect(out).toHaveLength(count);
    expect(text(out[count - 1]!)).toBe(String(count - 1));
    expect(out[count - 1]!.batch).toEqual({ index: count - 1, count });
  });

  it.each([
    ['/batch', 'SPLIT_NOT_ARRAY', '/batch is an object, not an array'],
    ['/batch/orders/0/id', 'SPLIT_NOT_ARRAY', 'is a number, not an array'],
    ['/batch/items', 'SPLIT_PATH_MISSING', '/batch has no member "items"'],
  ])('fails %j with %s', async (path, code, reason) => {
    const failure = await failureOf(run(split(path), batch));
    expectFailure(failure, code, 1, 'split');
    expect(failure.message).toContain(reason);
  });

  it('fails an empty batch rather than producing no message', async () => {
    const failure = await failureOf(run(split('/orders'), '{"orders": []}'));
    expectFailure(failure, 'SPLIT_EMPTY', 1, 'split');
  });

  it('fails with JSON_INVALID on a body that is not JSON', async () => {
    const failure = await failureOf(run(split('/orders'), '{"orders": [1, 2,]}'));
    expectFailure(failure, 'JSON_INVALID', 1, 'split');
  });
});

describe('split an XML batch', () => {
  const batch = `<?xml version="1.0" encoding="UTF-8"?>
<Orders batch="7">
  <Order id="1" type="rush">
    <Sku>A&amp;B</Sku>
    <Note>  spaced  </Note>
    <Line/><Comment>between</Comment><Line n="2"/>
  </Order>
  <Order id="2"><Sku><![CDATA[<raw> & "quoted"]]></Sku><Text>mixed <b>bold</b> tail</Text></Order>
  <Other>not an order</Other>
  <Order id="3" title='say "hi"'>caf\u00e9</Order>
</Orders>`;

  it('makes one message per element; each body parses back to the original element', async () => {
    const out = await run(split('/Orders/Order'), batch, 'application/xml');
    const root = parseXml(batch).find((node) => 'Orders' in node)!;
    const originals = (root.Orders as Record<string, unknown>[]).filter((node) => 'Order' in node);
    expect(originals).toHaveLength(3);
    expect(out).toHaveLength(3);
    out.forEach((m, index) => {
      // Attributes, escapes, CDATA text, whitespace and the order of mixed siblings all survive.
      expect(parseXml(text(m))).toEqual([originals[index]]);
      expect(m.batch).toEqual({ index, count: 3 });
      expect(m.contentType).toBe('application/xml');
    });
    expect(text(out[2]!)).toBe('<Order id="3" title="say &quot;hi&quot;">caf\u00e9</Order>');
  });

  it('carries inherited namespace declarations into each record', async () => {
    const xml = `<b:Orders xmlns:b="urn:batch" xmlns="urn:default"><b:Order id="1"><Sku>A</Sku></b:Order><b:Order xmlns:b="urn:own" id="2"/></b:Orders>`;
    const out = await run(split('/b:Orders/b:Order'), xml);
    const attributes = out.map((m) => parseXml(text(m))[0]![':@']);
    expect(attributes[0]).toEqual({ '@_xmlns:b': 'urn:batch', '@_xmlns': 'urn:default', '@_id': '1' });
    // The record's own declaration wins over the inherited one.
    expect(attributes[1]).toEqual({ '@_xmlns:b': 'urn:own', '@_xmlns': 'urn:default', '@_id': '2' });
  });

  it('collects records from every parent in document order', async () => {
    const xml = '<Batch><Group><Order id="1"/><Order id="2"/></Group><Group><Order id="3"/></Group></Batch>';
    const out = await run(split('/Batch/Group/Order'), xml);
    expect(out.map(text)).toEqual(['<Order id="1"></Order>', '<Order id="2"></Order>', '<Order id="3"></Order>']);
  });

  it('fails an empty batch, and a path whose parent is missing, differently', async () => {
    const empty = await failureOf(run(split('/Orders/Order'), '<Orders><Other/></Orders>'));
    expectFailure(empty, 'SPLIT_EMPTY', 1, 'split');
    expect(empty.message).toContain('no element "Order" under /Orders');
    const missing = await failureOf(run(split('/Batch/Orders/Order'), '<Batch><Other/></Batch>'));
    expectFailure(missing, 'SPLIT_PATH_MISSING', 1, 'split');
    expect(missing.message).toContain('no element "Orders" under /Batch');
    const wrongRoot = await failureOf(run(split('/Orders'), '<Invoices/>'));
    expectFailure(wrongRoot, 'SPLIT_PATH_MISSING', 1, 'split');
  });

  it('fails with XML_MALFORMED, with the position, on a body that is not well-formed', async () => {
    const failure = await failureOf(run(split('/Orders/Order'), '<Orders>\n  <Order></Orders>'));
    expectFailure(failure, 'XML_MALFORMED', 1, 'split');
    expect(failure.position).toEqual({ line: 2, column: 10 });
  });

  it('fails with PATH_NOT_APPLICABLE for a pointer that is not an XML path', async () => {
    const failure = await failureOf(run(split('/Orders/0'), batch));
    expectFailure(failure, 'PATH_NOT_APPLICABLE', 1, 'split');
  });
});

describe('split configuration', () => {
  it('refuses a path to an attribute, which cannot be a record, unless it also reads as a JSON pointer', async () => {
    // `/Orders/@id` is a valid JSON pointer (member "@id"), so the step compiles and an XML body is refused.
    const failure = await failureOf(run(split('/Orders/@id'), '<Orders id="1"/>'));
    expectFailure(failure, 'PATH_NOT_APPLICABLE', 1, 'split');
    expect(failure.message).toContain('only elements can be split out');
  });

  it('refuses a path that is neither syntax when compiled', () => {
    const compile = () => compilePipeline(split('Orders/Order'));
    expect(compile).toThrow(PipelineConfigInvalid);
    expect(compile).toThrow('receive pipeline[1] (split) is invalid');
  });
});
