import { describe, expect, it } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { SignalboxError } from '../../src/domain/errors.js';
import { compilePipeline, PipelineConfigInvalid } from '../../src/pipeline/index.js';
import { expectFailure, failureOf, message, run } from './pipeline-helpers.js';

const orderSchema = {
  type: 'object',
  required: ['order'],
  additionalProperties: false,
  properties: {
    order: {
      type: 'object',
      required: ['type', 'qty'],
      properties: {
        type: { enum: ['rush', 'normal'] },
        qty: { type: 'integer', minimum: 1 },
        placed: { type: 'string', format: 'date-time' },
      },
    },
  },
};
// A step in front of the validator, so the index in the failure is not trivially 0.
const steps: PipelineStep[] = [{ component: 'passthrough' }, { component: 'json-validate', schema: orderSchema }];

describe('json-validate', () => {
  it('passes a matching body on unchanged', async () => {
    const input = message('{"order": {"type": "rush", "qty": 2, "placed": "2025-01-02T03:04:05Z"}}');
    const out = await compilePipeline(steps)(input);
    expect(out).toEqual([input]);
    expect(out[0]!.body).toBe(input.body);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"order": {"type": "rush", "qty": 1}}')]);
    await expect(run(steps, body)).resolves.toHaveLength(1);
  });

  it('reports a schema mismatch with the instance and schema paths', async () => {
    const failure = await failureOf(run(steps, '{"order": {"type": "rush", "qty": 1.5}}'));
    expectFailure(failure, 'JSON_SCHEMA_MISMATCH', 1, 'json-validate');
    expect(failure.instancePath).toBe('/order/qty');
    expect(failure.schemaPath).toBe('#/properties/order/properties/qty/type');
    expect(failure.message).toContain('/order/qty must be integer');
    expect(failure.message).toContain('#/properties/order/properties/qty/type');
    expect(failure).toBeInstanceOf(SignalboxError);
  });

  it.each([
    ['{"order": {"type": "rush", "qty": 1}, "extra": true}', '(root) must NOT have additional properties ("extra")'],
    ['{"order": {"type": "slow", "qty": 1}}', 'must be equal to one of the allowed values: ["rush","normal"]'],
    ['{"order": {"qty": 1}}', "/order must have required property 'type'"],
    ['{"order": {"type": "rush", "qty": 1, "placed": "yesterday"}}', '/order/placed must match format "date-time"'],
    ['[]', '(root) must be object'],
  ])('names what is wrong in %s', async (body, expected) => {
    const failure = await failureOf(run(steps, body));
    expectFailure(failure, 'JSON_SCHEMA_MISMATCH', 1, 'json-validate');
    expect(failure.message).toContain(expected);
  });

  it('reports a syntax error with its line and column when V8 gives an offset', async () => {
    const failure = await failureOf(run(steps, '{\n  "a": 1\n  "b": 2\n}'));
    expectFailure(failure, 'JSON_INVALID', 1, 'json-validate');
    expect(failure.position).toEqual({ line: 3, column: 3 });
    expect(failure.message).toContain('at line 3, column 3');
  });

  it.each(['', '{"order": ', '<order/>', 'not json'])('refuses the non-JSON body %j', async (body) => {
    const failure = await failureOf(run(steps, body));
    expectFailure(failure, 'JSON_INVALID', 1, 'json-validate');
  });

  it('refuses a body that is not UTF-8', async () => {
    // "{"a":"é"}" in Latin-1: a lone 0xE9 is not UTF-8.
    const failure = await failureOf(run(steps, Buffer.from('{"a":"\u00e9"}', 'latin1')));
    expectFailure(failure, 'BODY_NOT_UTF8', 1, 'json-validate');
  });

  it('follows the 2020-12 dialect when the schema names it', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    };
    const pipeline: PipelineStep[] = [{ component: 'json-validate', schema }];
    await expect(run(pipeline, '["a", 1]')).resolves.toHaveLength(1);
    const failure = await failureOf(run(pipeline, '["a", 1, 2]'));
    expectFailure(failure, 'JSON_SCHEMA_MISMATCH', 0, 'json-validate');
    expect(failure.schemaPath).toBe('#/items');
  });

  it.each([
    [{ type: 'nonsense' }, 'the JSON schema is refused'],
    [{ type: 'object', requird: ['a'] }, 'unknown keyword: "requird"'],
    [{ type: 'string', format: 'no-such-format' }, 'unknown format "no-such-format"'],
    [{ $async: true, type: 'object' }, 'asynchronous schemas'],
  ])('refuses the schema %j when the pipeline is compiled', (schema, reason) => {
    const compile = () => compilePipeline([{ component: 'passthrough' }, { component: 'json-validate', schema }]);
    expect(compile).toThrow(PipelineConfigInvalid);
    expect(compile).toThrow(reason);
    expect(compile).toThrow('receive pipeline[1] (json-validate) is invalid');
  });
});
