import { describe, expect, it } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { compilePipeline, PipelineConfigInvalid } from '../../src/pipeline/index.js';
import { expectFailure, failureOf, message, run } from './pipeline-helpers.js';

const promote = (properties: Record<string, string>): PipelineStep[] => [
  { component: 'passthrough' },
  { component: 'promote', properties },
];

async function promoted(properties: Record<string, string>, body: string, contentType?: string) {
  const [out] = await run(promote(properties), body, contentType);
  return out!.context.promoted;
}

describe('promote from JSON', () => {
  const order = JSON.stringify({
    order: { type: 'rush', qty: 3, price: 1.5, gift: false, note: null, ref: '007' },
    lines: [{ sku: 'A' }, { sku: 'B' }],
    'a/b': { 'm~n': 'escaped' },
  });

  it('keeps each value its JSON type', async () => {
    expect(
      await promoted(
        {
          'APP.OrderType': '/order/type',
          'APP.Qty': '/order/qty',
          'APP.Price': '/order/price',
          'APP.Gift': '/order/gift',
          'APP.Note': '/order/note',
          'APP.Ref': '/order/ref',
        },
        order,
      ),
    ).toEqual({
      'APP.OrderType': 'rush',
      'APP.Qty': 3,
      'APP.Price': 1.5,
      'APP.Gift': false,
      'APP.Note': null,
      'APP.Ref': '007',
    });
  });

  it('follows array indexes and ~0 / ~1 escapes', async () => {
    expect(await promoted({ 'APP.Sku': '/lines/1/sku', 'APP.Escaped': '/a~1b/m~0n' }, order)).toEqual({
      'APP.Sku': 'B',
      'APP.Escaped': 'escaped',
    });
  });

  it('moves a written property of the same name to promoted and keeps the others', async () => {
    const input = message(order, 'application/json', {
      promoted: { 'BTS.ReceivePortName': 'orders' },
      written: { 'APP.OrderType': 'old', 'FILE.ReceivedFileName': 'a.json' },
    });
    const [out] = await compilePipeline(promote({ 'APP.OrderType': '/order/type' }))(input);
    expect(out!.context).toEqual({
      promoted: { 'BTS.ReceivePortName': 'orders', 'APP.OrderType': 'rush' },
      written: { 'FILE.ReceivedFileName': 'a.json' },
    });
    expect(out!.body).toBe(input.body);
    // The input message is left as it was.
    expect(input.context.written['APP.OrderType']).toBe('old');
    expect(input.context.promoted).toEqual({ 'BTS.ReceivePortName': 'orders' });
  });

  it.each([
    ['/order/kind', '/order has no member "kind"'],
    ['/lines/2/sku', '/lines has 2 elements, no index 2'],
    ['/order/type/x', '/order/type is a string'],
  ])('fails with PROMOTE_PATH_MISSING for %j', async (path, reason) => {
    const failure = await failureOf(run(promote({ 'APP.Type': '/order/type', 'APP.Missing': path }), order));
    expectFailure(failure, 'PROMOTE_PATH_MISSING', 1, 'promote');
    expect(failure.message).toContain(`property APP.Missing: nothing at ${path}`);
    expect(failure.message).toContain(reason);
  });

  it('refuses to promote an object or array', async () => {
    const failure = await failureOf(run(promote({ 'APP.Lines': '/lines' }), order));
    expectFailure(failure, 'PROMOTE_VALUE_NOT_SCALAR', 1, 'promote');
    expect(failure.message).toContain('/lines is an array');
  });

  it('fails with JSON_INVALID when the body it reads is not JSON', async () => {
    const failure = await failureOf(run(promote({ 'APP.Type': '/order/type' }), '{"order": }'));
    expectFailure(failure, 'JSON_INVALID', 1, 'promote');
  });

  it('reads an XML-looking path as the JSON pointer it also is', async () => {
    // Every XML path is a valid pointer too (`Line[2]` is a member name), so on JSON it simply finds nothing.
    const failure = await failureOf(run(promote({ 'APP.Sku': '/lines/Line[2]' }), order, 'application/json'));
    expectFailure(failure, 'PROMOTE_PATH_MISSING', 1, 'promote');
    expect(failure.message).toContain('/lines is an array and "Line[2]" is not an index');
  });
});

describe('promote from XML', () => {
  const order = `<?xml version="1.0"?>
<Order type="rush" xmlns:x="urn:x">
  <Type>Standard</Type>
  <Qty>010</Qty>
  <Customer><Name>Contoso &amp; Co</Name></Customer>
  <Lines>
    <Line n="1"><Sku>A</Sku></Line>
    <Line n="2"><Sku><![CDATA[B<2>]]></Sku></Line>
  </Lines>
  <x:Ref>R-1</x:Ref>
  <Empty/>
</Order>`;

  it('reads element text, attributes, indexes and prefixed names, all as strings', async () => {
    expect(
      await promoted(
        {
          'APP.Type': '/Order/Type',
          'APP.Kind': '/Order/@type',
          'APP.Qty': '/Order/Qty',
          'APP.Customer': '/Order/Customer/Name',
          'APP.Sku2': '/Order/Lines/Line[2]/Sku',
          'APP.LineNo': '/Order/Lines/Line[2]/@n',
          'APP.Ref': '/Order/x:Ref',
          'APP.Empty': '/Order/Empty',
        },
        order,
      ),
    ).toEqual({
      'APP.Type': 'Standard',
      'APP.Kind': 'rush',
      'APP.Qty': '010',
      'APP.Customer': 'Contoso & Co',
      'APP.Sku2': 'B<2>',
      'APP.LineNo': '2',
      'APP.Ref': 'R-1',
      'APP.Empty': '',
    });
  });

  it('takes the first match when a path without an index matches several elements', async () => {
    expect(await promoted({ 'APP.Sku': '/Order/Lines/Line/Sku' }, order)).toEqual({ 'APP.Sku': 'A' });
  });

  it('recognises XML by the content type or by its first character after blanks', async () => {
    const undeclared = order.replace(/^<\?xml[^>]*\?>/, '');
    expect(await promoted({ 'APP.Type': '/Order/Type' }, `\n  ${undeclared}`)).toEqual({ 'APP.Type': 'Standard' });
    // The content type wins over sniffing: XML-typed JSON is read as XML, and is not well-formed.
    const failure = await failureOf(
      run(promote({ 'APP.Type': '/Order/Type' }), '{"Order": {}}', 'text/xml; charset=utf-8'),
    );
    expectFailure(failure, 'XML_MALFORMED', 1, 'promote');
  });

  it('reads JSON when the content type says so even if the body starts with "<"', async () => {
    const failure = await failureOf(run(promote({ 'APP.Type': '/Order/Type' }), order, 'application/vnd.orders+json'));
    expectFailure(failure, 'JSON_INVALID', 1, 'promote');
  });

  it.each([
    ['/Order/Kind', 'no element "Kind" under /Order'],
    ['/Order/Lines/Line[3]/Sku', 'no "Line[3]" under /Order/Lines'],
    ['/Invoice/Type', 'no element "Invoice" as the root element'],
    ['/Order/@missing', 'no attribute "missing" on /Order'],
    ['/Order/Lines/Line[1]/@id', 'no attribute "id" on /Order/Lines/Line[1]'],
  ])('fails with PROMOTE_PATH_MISSING for %j', async (path, reason) => {
    const failure = await failureOf(run(promote({ 'APP.Missing': path }), order));
    expectFailure(failure, 'PROMOTE_PATH_MISSING', 1, 'promote');
    expect(failure.message).toContain(`property APP.Missing: nothing at ${path} (${reason})`);
  });

  it('refuses to promote an element that has child elements', async () => {
    const failure = await failureOf(run(promote({ 'APP.Customer': '/Order/Customer' }), order));
    expectFailure(failure, 'PROMOTE_VALUE_NOT_SCALAR', 1, 'promote');
  });

  it('fails with XML_MALFORMED, with the position, when the body it reads is not XML', async () => {
    const failure = await failureOf(run(promote({ 'APP.Type': '/Order/Type' }), '<Order>\n<Type>x</Order>'));
    expectFailure(failure, 'XML_MALFORMED', 1, 'promote');
    expect(failure.position).toEqual({ line: 2, column: 8 });
  });

  it('fails with PATH_NOT_APPLICABLE for a JSON-only pointer on an XML body', async () => {
    const failure = await failureOf(run(promote({ 'APP.Line': '/Order/Lines/0' }), order));
    expectFailure(failure, 'PATH_NOT_APPLICABLE', 1, 'promote');
    expect(failure.message).toContain('"0" is not an element name');
  });
});

describe('promote configuration', () => {
  it('refuses a path that is neither a JSON pointer nor an XML path when compiled', () => {
    const compile = () => compilePipeline(promote({ 'APP.Type': 'order/type' }));
    expect(compile).toThrow(PipelineConfigInvalid);
    expect(compile).toThrow('receive pipeline[1] (promote) is invalid: property "APP.Type": "order/type" is neither');
  });
});
