import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import { contextSchema } from '../../src/domain/events/message-events.js';
import {
  compilePipeline,
  DEFAULT_MAX_BODY_BYTES,
  PipelineConfigInvalid,
  PipelineFailure,
} from '../../src/pipeline/index.js';
import { expectFailure, failureOf, message, run, text } from './pipeline-helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a pipeline', () => {
  it('with no step, or only passthrough, returns the message as it came', async () => {
    const input = message('anything at all \u0000\u00ff', 'application/octet-stream');
    expect(await compilePipeline([])(input)).toEqual([input]);
    const [out] = await compilePipeline([{ component: 'passthrough' }, { component: 'passthrough' }])(input);
    expect(out).toBe(input);
  });

  it('validate → promote → split: every record carries the promoted properties and its place', async () => {
    const steps: PipelineStep[] = [
      {
        component: 'json-validate',
        schema: {
          type: 'object',
          required: ['customer', 'orders'],
          properties: { orders: { type: 'array', items: { type: 'object', required: ['id'] } } },
        },
      },
      { component: 'promote', properties: { 'APP.Customer': '/customer/id', 'APP.Region': '/customer/region' } },
      { component: 'split', path: '/orders' },
    ];
    const body = JSON.stringify({
      customer: { id: 42, region: 'EU' },
      orders: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
    });
    const context = { promoted: { 'BTS.ReceivePortName': 'orders' }, written: {} };
    const out = await compilePipeline(steps)(message(body, 'application/json', context));
    expect(out).toHaveLength(3);
    out.forEach((m, index) => {
      expect(m.context.promoted).toEqual({ 'BTS.ReceivePortName': 'orders', 'APP.Customer': 42, 'APP.Region': 'EU' });
      expect(m.batch).toEqual({ index, count: 3 });
      // What the engine will append must pass the event's own schema.
      expect(contextSchema.safeParse(m.context).success).toBe(true);
    });
    expect(out.map((m) => JSON.parse(text(m)) as unknown)).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  });

  it('runs the steps after a split on each record: xml-wellformed → split → promote', async () => {
    const steps: PipelineStep[] = [
      { component: 'xml-wellformed' },
      { component: 'split', path: '/Orders/Order' },
      { component: 'promote', properties: { 'APP.OrderId': '/Order/@id', 'APP.Sku': '/Order/Sku' } },
    ];
    const out = await run(
      steps,
      '<Orders><Order id="1"><Sku>A</Sku></Order><Order id="2"><Sku>B</Sku></Order></Orders>',
    );
    expect(out.map((m) => m.context.promoted)).toEqual([
      { 'APP.OrderId': '1', 'APP.Sku': 'A' },
      { 'APP.OrderId': '2', 'APP.Sku': 'B' },
    ]);
  });

  it('names the failing step by its index when a step after a split fails on one record', async () => {
    const steps: PipelineStep[] = [
      { component: 'split', path: '/orders' },
      { component: 'promote', properties: { 'APP.Id': '/id' } },
    ];
    const failure = await failureOf(run(steps, '{"orders": [{"id": 1}, {"code": 2}]}'));
    expectFailure(failure, 'PROMOTE_PATH_MISSING', 1, 'promote');
  });

  it('parses a body once however many steps read it', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const steps: PipelineStep[] = [
      { component: 'json-validate', schema: { type: 'object' } },
      { component: 'promote', properties: { 'APP.A': '/a' } },
      { component: 'split', path: '/list' },
    ];
    await run(steps, '{"a": 1, "list": [1, 2]}');
    expect(parse).toHaveBeenCalledTimes(1);
  });

  describe('body size', () => {
    it('refuses a body over maxBodyBytes before any step reads it', async () => {
      const pipeline = compilePipeline([{ component: 'json-validate', schema: { type: 'object' } }], {
        maxBodyBytes: 10,
      });
      await expect(pipeline(message('{"a":"123"}'))).rejects.toThrow(PipelineFailure);
      const failure = await failureOf(pipeline(message('{"a":"1234"}')));
      expect(failure.code).toBe('BODY_TOO_LARGE');
      expect(failure.step).toBeUndefined();
      expect(failure.message).toBe('receive pipeline: the body is 12 bytes, over the limit of 10');
      // Exactly at the limit is allowed (and then fails only on its content).
      await expect(pipeline(message('{"a":"12"}'))).resolves.toHaveLength(1);
    });

    it('defaults to 16 MiB', async () => {
      expect(DEFAULT_MAX_BODY_BYTES).toBe(16 * 1024 * 1024);
      const pipeline = compilePipeline([{ component: 'passthrough' }]);
      await expect(pipeline(message(Buffer.alloc(DEFAULT_MAX_BODY_BYTES)))).resolves.toHaveLength(1);
      const failure = await failureOf(pipeline(message(Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1))));
      expect(failure.code).toBe('BODY_TOO_LARGE');
    });
  });

  it('refuses a second split when compiled, naming it', () => {
    const compile = () =>
      compilePipeline([
        { component: 'split', path: '/a' },
        { component: 'passthrough' },
        { component: 'split', path: '/b' },
      ]);
    expect(compile).toThrow(PipelineConfigInvalid);
    expect(compile).toThrow('receive pipeline[2] (split) is invalid: only one split step is allowed (another is at 0)');
  });

  it('refuses an unknown component when compiled', () => {
    const steps = [{ component: 'decrypt' }] as unknown as PipelineStep[];
    expect(() => compilePipeline(steps)).toThrow(
      'receive pipeline[0] (decrypt) is invalid: unknown component "decrypt"',
    );
  });

  it('reports a failure with a stable shape for the suspension reason', async () => {
    const failure = await failureOf(run([{ component: 'xml-wellformed' }], '<a>'));
    expect({ code: failure.code, message: failure.message, retryable: failure.retryable }).toEqual({
      code: 'XML_MALFORMED',
      message: expect.stringMatching(
        /^receive pipeline\[0\] \(xml-wellformed\): the body is not well-formed XML/,
      ) as string,
      retryable: false,
    });
    expect(failure.name).toBe('PipelineFailure');
  });
});
