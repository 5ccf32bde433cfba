import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  assertPropertyName,
  BTS,
  ContextPropertyMissing,
  ContextPropertyNameInvalid,
  defineContextNamespace,
  emptyContext,
  ERR,
  isPromoted,
  mergeContexts,
  promoteProperty,
  propertyNameSchema,
  readProperty,
  removeProperty,
  splitPropertyName,
  systemNamespaces,
  validateContext,
  writeProperty,
  type MessageContext,
  type PropertyValue,
} from '../../../src/domain/context/index.js';
import { SchemaViolation, SignalboxError } from '../../../src/domain/errors.js';
import { contextSchema } from '../../../src/domain/events/message-events.js';
import { evaluateFilter, parseFilter } from '../../../src/domain/filters/index.js';

const FILE = defineContextNamespace('FILE', {
  ReceivedFileName: z.string().min(1),
  FileCreationTime: z.iso.datetime({ offset: true }),
  Size: z.number().int().nonnegative(),
});
const HTTP = defineContextNamespace('HTTP', { Method: z.enum(['GET', 'POST', 'PUT']) }, { open: true });

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('property names', () => {
  it.each([
    'MQMD.CorrelId',
    'FILE.ReceivedFileName',
    'BTS.ReceivePortName',
    'NATS.Subject',
    'HTTP.Header.Content-Type',
    'MQRFH2.usr.My Prop',
    'Acme_Orders.Region',
  ])('accepts %s', (name) => {
    expect(() => assertPropertyName(name)).not.toThrow();
    expect(propertyNameSchema.safeParse(name).success).toBe(true);
  });

  it.each([
    ['NoDot', /no "\." found/],
    ['.Prop', /namespace ""/],
    ['1NS.Prop', /namespace "1NS"/],
    ['My-NS.Prop', /namespace "My-NS"/],
    ['NS.', /property part after the namespace is empty/],
    ['NS.a..b', /empty segment/],
    ['NS.a.', /empty segment/],
    ['NS. a', /blank/],
    ['NS.a\nb', /control character/],
    [`NS.${'x'.repeat(300)}`, /longer than 256/],
  ])('refuses %j, naming it in the error', (name, reason) => {
    const error = thrown(() => assertPropertyName(name));
    expect(error).toBeInstanceOf(ContextPropertyNameInvalid);
    expect(error).toBeInstanceOf(SignalboxError);
    const invalid = error as ContextPropertyNameInvalid;
    expect(invalid.code).toBe('CONTEXT_PROPERTY_NAME_INVALID');
    expect(invalid.propertyName).toBe(name);
    expect(invalid.message).toContain(JSON.stringify(name));
    expect(invalid.message).toMatch(reason);
    const parsed = propertyNameSchema.safeParse(name);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(JSON.stringify(name));
  });

  it('splits at the first dot', () => {
    expect(splitPropertyName('HTTP.Header.Content-Type')).toEqual({
      namespace: 'HTTP',
      property: 'Header.Content-Type',
    });
    expect(() => splitPropertyName('nodot')).toThrow(ContextPropertyNameInvalid);
  });

  it('knows the system and adapter namespaces', () => {
    expect(systemNamespaces).toEqual(
      expect.arrayContaining(['BTS', 'MQMD', 'FILE', 'FTP', 'SFTP', 'POP3', 'SMTP', 'NATS', 'HTTP', 'ERR']),
    );
    expect(systemNamespaces).toEqual(expect.arrayContaining(['MQXQH', 'MQCIH', 'MQIIH', 'MQRFH2']));
  });
});

describe('write, promote, read', () => {
  it('keeps written properties out of routing until they are promoted', () => {
    const routes = (context: MessageContext) =>
      evaluateFilter(parseFilter("FILE.ReceivedFileName == 'in.xml'"), context.promoted);
    const written = writeProperty(emptyContext(), 'FILE.ReceivedFileName', 'in.xml');
    expect(readProperty(written, 'FILE.ReceivedFileName')).toBe('in.xml');
    expect(routes(written)).toBe(false);

    const promoted = promoteProperty(written, 'FILE.ReceivedFileName');
    expect(promoted).toEqual({ promoted: { 'FILE.ReceivedFileName': 'in.xml' }, written: {} });
    expect(isPromoted(promoted, 'FILE.ReceivedFileName')).toBe(true);
    expect(routes(promoted)).toBe(true);

    // Writing a promoted property demotes it, as in BizTalk.
    const demoted = writeProperty(promoted, 'FILE.ReceivedFileName', 'in.xml');
    expect(demoted).toEqual({ promoted: {}, written: { 'FILE.ReceivedFileName': 'in.xml' } });
    expect(routes(demoted)).toBe(false);
  });

  it('promotes a new value directly, null included, and never changes its input', () => {
    const before = writeProperty(emptyContext(), 'NATS.Subject', 'a');
    const snapshot = structuredClone(before);
    const after = promoteProperty(before, 'NATS.Subject', 'b');
    const withNull = promoteProperty(after, 'MQMD.CorrelId', null);
    expect(before).toEqual(snapshot);
    expect(after).toEqual({ promoted: { 'NATS.Subject': 'b' }, written: {} });
    expect(withNull.promoted).toEqual({ 'NATS.Subject': 'b', 'MQMD.CorrelId': null });
    expect(readProperty(withNull, 'MQMD.CorrelId')).toBeNull();
    expect(readProperty(withNull, 'MQMD.MsgId')).toBeUndefined();
    expect(readProperty(withNull, 'toString')).toBeUndefined();
  });

  it('refuses to promote a property that has no value', () => {
    const error = thrown(() => promoteProperty(emptyContext(), 'MQMD.CorrelId'));
    expect(error).toBeInstanceOf(ContextPropertyMissing);
    expect((error as ContextPropertyMissing).message).toContain('"MQMD.CorrelId"');
  });

  it('refuses bad names and values that are not property values', () => {
    expect(() => writeProperty(emptyContext(), 'CorrelId', 'x')).toThrow(/"CorrelId"/);
    expect(() => promoteProperty(emptyContext(), 'a..b', 'x')).toThrow(ContextPropertyNameInvalid);
    for (const bad of [Number.NaN, Infinity, { nested: 1 }, [1], undefined]) {
      const error = thrown(() => writeProperty(emptyContext(), 'NS.x', bad as PropertyValue));
      expect(error).toBeInstanceOf(SchemaViolation);
      expect((error as SchemaViolation).message).toContain('NS.x');
    }
  });

  it('removes a property from either set', () => {
    const context = promoteProperty(writeProperty(emptyContext(), 'A.w', 1), 'A.p', 2);
    expect(removeProperty(removeProperty(context, 'A.w'), 'A.p')).toEqual(emptyContext());
  });

  it('merges later contexts over earlier ones, value and set alike', () => {
    const base = promoteProperty(writeProperty(emptyContext(), 'A.kept', 1), 'A.both', 'base');
    const overlay = writeProperty(promoteProperty(emptyContext(), 'A.new', true), 'A.both', 'overlay');
    expect(mergeContexts(base, overlay)).toEqual({
      promoted: { 'A.new': true },
      written: { 'A.kept': 1, 'A.both': 'overlay' },
    });
    expect(mergeContexts(base)).toEqual(base);
  });

  it('behaves like a map from name to (value, promoted) under any sequence of operations', () => {
    const name = fc.constantFrom('A.x', 'A.y', 'B.z', 'HTTP.Header.Content-Type');
    const value = fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), name, value }),
      fc.record({ kind: fc.constant('promote' as const), name, value: fc.option(value, { nil: undefined }) }),
      fc.record({ kind: fc.constant('remove' as const), name }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let context = emptyContext();
        const model = new Map<string, { value: PropertyValue; promoted: boolean }>();
        for (const o of ops) {
          if (o.kind === 'write') {
            context = writeProperty(context, o.name, o.value);
            model.set(o.name, { value: o.value, promoted: false });
          } else if (o.kind === 'remove') {
            context = removeProperty(context, o.name);
            model.delete(o.name);
          } else if (o.value === undefined && !model.has(o.name)) {
            expect(() => promoteProperty(context, o.name)).toThrow(ContextPropertyMissing);
          } else {
            context = promoteProperty(context, o.name, o.value);
            model.set(o.name, { value: o.value === undefined ? model.get(o.name)!.value : o.value, promoted: true });
          }
        }
        const expected: MessageContext = { promoted: {}, written: {} };
        for (const [key, entry] of model) expected[entry.promoted ? 'promoted' : 'written'][key] = entry.value;
        expect(context).toEqual(expected);
        expect(contextSchema.parse(context)).toEqual(context);
        for (const key of model.keys()) expect(readProperty(context, key)).toBe(model.get(key)!.value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('typed namespaces', () => {
  it('gives full names as constants', () => {
    expect(FILE.names.ReceivedFileName).toBe('FILE.ReceivedFileName');
    expect(BTS.names.ReceivePortName).toBe('BTS.ReceivePortName');
    expect(BTS.names.SPName).toBe('BTS.SPName');
    expect(ERR.names.FailureCode).toBe('ERR.FailureCode');
    const typed: 'BTS.ActualRetryCount' = BTS.names.ActualRetryCount;
    expect(typed).toBe('BTS.ActualRetryCount');
    expect(Object.keys(BTS.names)).toEqual(
      expect.arrayContaining([
        'ReceivePortName',
        'ReceiveLocationName',
        'InboundTransportType',
        'InboundTransportLocation',
        'MessageID',
        'SPName',
        'RetryCount',
        'ActualRetryCount',
      ]),
    );
  });

  it('validates on write and promote, and reads typed values back', () => {
    let context = FILE.write(emptyContext(), 'ReceivedFileName', 'orders.xml');
    context = FILE.promote(context, 'ReceivedFileName');
    context = FILE.promote(context, 'Size', 1024);
    const name: string | undefined = FILE.read(context, 'ReceivedFileName');
    const size: number | undefined = FILE.read(context, 'Size');
    expect([name, size]).toEqual(['orders.xml', 1024]);
    expect(FILE.read(context, 'FileCreationTime')).toBeUndefined();
    expect(context.promoted).toEqual({ 'FILE.ReceivedFileName': 'orders.xml', 'FILE.Size': 1024 });

    const error = thrown(() => FILE.promote(context, 'Size', -1));
    expect(error).toBeInstanceOf(SchemaViolation);
    expect((error as SchemaViolation).message).toContain('FILE.Size');
    expect(() => FILE.write(context, 'ReceivedFileName', '')).toThrow(/FILE\.ReceivedFileName/);
    expect(() => BTS.promote(context, 'RetryCount', 1.5)).toThrow(/BTS\.RetryCount/);
    expect(() => ERR.write(context, 'ErrorType', 'Other' as 'FailedMessage')).toThrow(SchemaViolation);
  });

  it('checks types at compile time', () => {
    const context = emptyContext();
    // @ts-expect-error Size is a number
    expect(() => FILE.write(context, 'Size', '12')).toThrow(SchemaViolation);
    // @ts-expect-error FILE declares no Nope
    expect(() => FILE.write(context, 'Nope', 'x')).toThrow(ContextPropertyNameInvalid);
    // @ts-expect-error RetryCount is a number
    expect(() => BTS.promote(context, 'RetryCount', true)).toThrow(SchemaViolation);
  });

  it('refuses to promote, or read as typed, a value written without its schema', () => {
    const context = writeProperty(emptyContext(), 'FILE.Size', 'big');
    expect(() => FILE.promote(context, 'Size')).toThrow(/FILE\.Size/);
    expect(() => FILE.read(context, 'Size')).toThrow(SchemaViolation);
    expect(() => FILE.promote(emptyContext(), 'Size')).toThrow(ContextPropertyMissing);
  });

  it('refuses schemas that transform, since the context keeps what it was given', () => {
    const TRIM = defineContextNamespace('TRIM', { Name: z.string().trim() });
    expect(() => TRIM.write(emptyContext(), 'Name', ' x ')).toThrow(/must not transform/);
    expect(TRIM.write(emptyContext(), 'Name', 'x').written).toEqual({ 'TRIM.Name': 'x' });
  });

  it('refuses bad namespace and property names at definition, naming them', () => {
    expect(() => defineContextNamespace('1BAD', { A: z.string() })).toThrow(/"1BAD\."/);
    expect(() => defineContextNamespace('OK', { 'Bad..Name': z.string() })).toThrow(/"OK\.Bad\.\.Name"/);
    expect(() => defineContextNamespace('OK', { '': z.string() })).toThrow(ContextPropertyNameInvalid);
  });
});

describe('validateContext', () => {
  it('accepts a valid context, with user and open namespaces', () => {
    let context = FILE.promote(emptyContext(), 'ReceivedFileName', 'a.txt');
    context = writeProperty(context, 'HTTP.Header.Content-Type', 'text/plain');
    context = HTTP.promote(context, 'Method', 'POST');
    context = promoteProperty(context, 'Acme.Region', 'eu');
    expect(validateContext(context, [FILE, HTTP, BTS])).toEqual(context);
  });

  it('lists every problem, each with its path', () => {
    const input = {
      promoted: { 'FILE.Size': -3, 'FILE.Nope': 1, 'HTTP.Method': 'PATCH', 'A.both': 1, nodot: 1 },
      written: { 'A.both': 2, 'HTTP.Header.X': 'anything' },
    };
    const error = thrown(() => validateContext(input, [FILE, HTTP]));
    expect(error).toBeInstanceOf(SchemaViolation);
    const paths = (error as SchemaViolation).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual([
      'promoted[FILE.Nope]',
      'promoted[FILE.Size]',
      'promoted[HTTP.Method]',
      'promoted[nodot]',
      'written[A.both]',
    ]);
    expect((error as SchemaViolation).message).toContain('FILE declares no property "Nope"');
  });

  it('refuses input that is not a context at all', () => {
    expect(() => validateContext({ promoted: { 'A.x': { deep: 1 } }, written: {} })).toThrow(SchemaViolation);
    expect(() => validateContext('context')).toThrow(SchemaViolation);
  });
});
