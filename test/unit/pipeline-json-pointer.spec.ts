import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPointer, parsePointer, resolvePointer } from '../../src/pipeline/json-pointer.js';
import { run } from './pipeline-helpers.js';

function tokens(pointer: string): string[] {
  const parsed = parsePointer(pointer);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.tokens;
}

function resolve(document: unknown, pointer: string) {
  return resolvePointer(document, tokens(pointer));
}

describe('JSON pointer', () => {
  // RFC 6901, section 5.
  const rfc = {
    foo: ['bar', 'baz'],
    '': 0,
    'a/b': 1,
    'c%d': 2,
    'e^f': 3,
    'g|h': 4,
    'i\\j': 5,
    'k"l': 6,
    ' ': 7,
    'm~n': 8,
  };

  it.each([
    ['', rfc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ])('resolves the RFC 6901 example %j', (pointer, expected) => {
    expect(resolve(rfc, pointer)).toEqual({ found: true, value: expected });
  });

  it('unescapes ~1 before ~0, so ~01 is a literal "~1"', () => {
    expect(tokens('/~01')).toEqual(['~1']);
    expect(resolve({ '~1': 'tilde-one', '/': 'slash' }, '/~01')).toEqual({ found: true, value: 'tilde-one' });
  });

  it.each([
    ['a/b', 'starts with "/"'],
    ['/a~2', '"~" must be followed by 0 or 1'],
    ['/a~', '"~" must be followed by 0 or 1'],
  ])('refuses the malformed pointer %j', (pointer, reason) => {
    const parsed = parsePointer(pointer);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('escapes ~ and / when formatting', () => {
    expect(formatPointer(['a/b', 'm~n', '~1', ''])).toBe('/a~1b/m~0n/~01/');
    expect(formatPointer([])).toBe('');
  });

  it.each([
    ['/lines/01', 'is not an index'],
    ['/lines/-', 'is not an index'],
    ['/lines/2', 'has 2 elements, no index 2'],
    ['/name/x', '/name is a string, not an object or array'],
    ['/none', '(root) has no member "none"'],
    ['/constructor', 'has no member "constructor"'],
    ['/lines/0/qty/x', '/lines/0/qty is a number'],
  ])('reports why %j finds nothing', (pointer, reason) => {
    const document = { name: 'n', lines: [{ qty: 1 }, { qty: 2 }] };
    const result = resolve(document, pointer);
    expect(result.found).toBe(false);
    expect(!result.found && result.reason).toContain(reason);
  });

  it('finds an own "__proto__" member that JSON.parse created, and nothing inherited', () => {
    const document: unknown = JSON.parse('{"__proto__": {"x": 1}}');
    expect(resolve(document, '/__proto__/x')).toEqual({ found: true, value: 1 });
    expect(resolve({}, '/__proto__').found).toBe(false);
  });
});

// Keys built from the characters that need escaping, so most generated paths exercise ~0 and ~1.
const key = fc.oneof(
  fc.string({ unit: fc.constantFrom('~', '/', '0', '1', 'a', '-', '~0', '~1'), maxLength: 6 }),
  fc.string({ maxLength: 4 }),
);
const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(key, tie('json'), { maxKeys: 4 }),
  ),
}));

/** Walks `document` choosing children by `choices`; returns the path taken and the value at its end. */
function walk(document: unknown, choices: number[]): { path: string[]; value: unknown } {
  const path: string[] = [];
  let value = document;
  for (const choice of choices) {
    if (Array.isArray(value) && value.length > 0) {
      const index = choice % value.length;
      path.push(String(index));
      value = value[index] as unknown;
    } else if (typeof value === 'object' && value !== null && Object.keys(value).length > 0) {
      const keys = Object.keys(value);
      const chosen = keys[choice % keys.length]!;
      path.push(chosen);
      value = (value as Record<string, unknown>)[chosen];
    } else break;
  }
  return { path, value };
}

describe('JSON pointer properties', () => {
  it('a pointer built with escaping from an existing path parses back to it and resolves to the same value', () => {
    fc.assert(
      fc.property(json, fc.array(fc.nat(), { maxLength: 8 }), (document, choices) => {
        const { path, value } = walk(document, choices);
        const pointer = formatPointer(path);
        expect(tokens(pointer)).toEqual(path);
        const resolved = resolvePointer(document, tokens(pointer));
        expect(resolved.found).toBe(true);
        // The very same node, not merely an equal one.
        expect(resolved.found && resolved.value).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('promote reads the same scalar through the pipeline, from the serialised body', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.array(fc.nat(), { maxLength: 8 }), async (document, choices) => {
        const { path, value } = walk(document, choices);
        fc.pre(path.length > 0 && (value === null || typeof value !== 'object'));
        const [out] = await run(
          [{ component: 'promote', properties: { 'APP.Value': formatPointer(path) } }],
          JSON.stringify(document),
          'application/json',
        );
        expect(out!.context.promoted['APP.Value']).toEqual(value);
      }),
      { numRuns: 200 },
    );
  });
});
