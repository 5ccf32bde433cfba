import { describe, expect, it } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { compilePipeline } from '../../src/pipeline/index.js';
import { expectFailure, failureOf, message, run } from './pipeline-helpers.js';

const steps: PipelineStep[] = [{ component: 'passthrough' }, { component: 'xml-wellformed' }];

describe('xml-wellformed', () => {
  it.each([
    '<Order/>',
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- head -->\n<Order id="1"><Sku>A&amp;B</Sku></Order>\n<!-- tail -->\n',
    '<!DOCTYPE Order [<!ENTITY co "Contoso">]><Order>&co;</Order>',
    '\ufeff<Order><![CDATA[<not a tag>]]></Order>',
  ])('passes the well-formed body %j on unchanged', async (body) => {
    const input = message(body);
    const out = await compilePipeline(steps)(input);
    expect(out).toEqual([input]);
  });

  it.each([
    ['<Order>\n  <Sku>1</Order>', { line: 2, column: 9 }, "Expected closing tag 'Sku'"],
    ['<Order>\n  <Line a="1" a="2"/>\n</Order>', { line: 2, column: 15 }, "Attribute 'a' is repeated"],
    ['hello', { line: 1, column: 1 }, "char 'h' is not expected"],
    ['<Order/>\n<Order/>', { line: 2, column: 1 }, 'a second root element "Order" follows the first'],
    ['<Order/>\ntrailing', { line: 2, column: 1 }, 'content after the root element'],
  ])('refuses %j at the line and column of the problem', async (body, position, reason) => {
    const failure = await failureOf(run(steps, body));
    expectFailure(failure, 'XML_MALFORMED', 1, 'xml-wellformed');
    expect(failure.position).toEqual(position);
    expect(failure.message).toContain(`at line ${position.line}, column ${position.column}`);
    expect(failure.message).toContain(reason);
  });

  it.each(['', '<Order/>\n<!-- never closed', '<Order/>\n<?pi never closed'])(
    'refuses %j, which the validator lets through but the parser does not',
    async (body) => {
      const failure = await failureOf(run(steps, body));
      expectFailure(failure, 'XML_MALFORMED', 1, 'xml-wellformed');
    },
  );

  it('refuses a body that is not UTF-8', async () => {
    const failure = await failureOf(run(steps, Buffer.from('<a>\u00e9</a>', 'latin1')));
    expectFailure(failure, 'BODY_NOT_UTF8', 1, 'xml-wellformed');
  });

  it('reports the parser limit on nesting as unsupported rather than malformed', async () => {
    const failure = await failureOf(run(steps, '<a>'.repeat(200) + '</a>'.repeat(200)));
    expectFailure(failure, 'XML_UNSUPPORTED', 1, 'xml-wellformed');
  });
});
