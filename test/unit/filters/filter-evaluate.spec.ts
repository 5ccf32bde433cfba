import { describe, expect, it } from 'vitest';
import { evaluateFilter, parseFilter, type PromotedProperties } from '../../../src/domain/filters/index.js';

const matches = (filter: string, promoted: PromotedProperties) => evaluateFilter(parseFilter(filter), promoted);

describe('evaluateFilter', () => {
  const message = {
    'NATS.Subject': 'orders.eu',
    'MQMD.Priority': 5,
    'HTTP.Header.Content-Length': '2048',
    'BTS.IsDynamicSend': false,
    'MQMD.CorrelId': null,
  };

  it.each([
    ["NATS.Subject == 'orders.eu'", true],
    ["NATS.Subject == 'orders.us'", false],
    ["NATS.Subject != 'orders.us'", true],
    ["NATS.Subject != 'orders.eu'", false],
    ['MQMD.Priority == 5', true],
    ['MQMD.Priority == 5.0', true],
    ['MQMD.Priority < 6', true],
    ['MQMD.Priority < 5', false],
    ['MQMD.Priority <= 5', true],
    ['MQMD.Priority > 4.5', true],
    ['MQMD.Priority > 5', false],
    ['MQMD.Priority >= 5', true],
    ['BTS.IsDynamicSend == false', true],
    ['BTS.IsDynamicSend != true', true],
    ['MQMD.CorrelId == null', true],
    ['MQMD.CorrelId != null', false],
    ['NATS.Subject != null', true],
    ['MQMD.CorrelId exists', true],
    ['FILE.ReceivedFileName exists', false],
    ["NATS.Subject in ('orders.us', 'orders.eu')", true],
    ["NATS.Subject in ('orders.us', 'orders.asia')", false],
    ['MQMD.Priority in (1, 5)', true],
    ['not FILE.ReceivedFileName exists', true],
    ["NATS.Subject == 'orders.eu' and MQMD.Priority > 3", true],
    ["NATS.Subject == 'orders.eu' and MQMD.Priority > 9", false],
    ["NATS.Subject == 'x' or MQMD.Priority > 3", true],
    ["NATS.Subject == 'x' or MQMD.Priority > 9", false],
  ])('%s is %s', (filter, expected) => {
    expect(matches(filter, message)).toBe(expected);
  });

  it('makes every comparison on a missing property false, != included', () => {
    for (const filter of ['x == 1', 'x != 1', 'x < 1', 'x <= 1', 'x > 1', 'x >= 1', 'x == null', 'x != null']) {
      expect(matches(filter, {}), filter).toBe(false);
    }
    expect(matches('x in (1, null)', {})).toBe(false);
    // The negation of a comparison does select messages without the property.
    expect(matches('not x == 1', {})).toBe(true);
  });

  it('does not see inherited object members as properties', () => {
    expect(matches('toString exists', {})).toBe(false);
    expect(matches("constructor != 'x'", {})).toBe(false);
    expect(matches('[__proto__] exists', {})).toBe(false);
  });

  it('compares a number with a numeric string as numbers, in either direction', () => {
    expect(matches('HTTP.Header.Content-Length > 1000', message)).toBe(true);
    expect(matches('HTTP.Header.Content-Length == 2048', message)).toBe(true);
    expect(matches('HTTP.Header.Content-Length == 2.048e3', message)).toBe(true);
    expect(matches("MQMD.Priority == '5'", message)).toBe(true);
    expect(matches("MQMD.Priority == '05.00'", message)).toBe(true);
    expect(matches("MQMD.Priority < '10'", message)).toBe(true);
  });

  it('does not treat strings that only look numeric as numbers', () => {
    for (const text of [' 5', '5 ', '0x5', '+5', '5.', '.5', 'Infinity', '1e400', '']) {
      expect(matches(`x == 5`, { x: text }), JSON.stringify(text)).toBe(false);
      expect(matches(`x != 5`, { x: text }), JSON.stringify(text)).toBe(true);
      expect(matches(`x < 5`, { x: text }), JSON.stringify(text)).toBe(false);
      expect(matches(`x >= 5`, { x: text }), JSON.stringify(text)).toBe(false);
    }
  });

  it('compares two strings by code point, not numerically and not by UTF-16 unit', () => {
    expect(matches("x < '9'", { x: '10' })).toBe(true);
    expect(matches("x > 'Z'", { x: 'a' })).toBe(true);
    expect(matches("x < 'ab'", { x: 'a' })).toBe(true);
    expect(matches("x == 'A'", { x: 'a' })).toBe(false);
    // U+1F600 is stored as surrogates (0xD83D…) that sort before U+FFFF as UTF-16 units.
    expect(matches("x > '\\uFFFF'", { x: '😀' })).toBe(true);
    expect(matches("x < '😀'", { x: '\uFFFF' })).toBe(true);
  });

  it('leaves booleans, null and mixed types unordered', () => {
    for (const [x, literal] of [
      [true, 'false'],
      [false, 'true'],
      [null, 'null'],
      [1, 'true'],
      ['a', 'null'],
      [true, '1'],
    ] as const) {
      for (const op of ['<', '<=', '>', '>=']) {
        expect(matches(`x ${op} ${literal}`, { x }), `${String(x)} ${op} ${literal}`).toBe(false);
      }
    }
    expect(matches('x == 1', { x: true })).toBe(false);
    expect(matches('x != 1', { x: true })).toBe(true);
    expect(matches("x == 'true'", { x: true })).toBe(false);
    expect(matches('x == null', { x: 0 })).toBe(false);
    expect(matches('x == null', { x: '' })).toBe(false);
  });

  it('follows precedence: not > and > or', () => {
    // With a true, b false, c false: `a or (b and c)` is true, `(a or b) and c` would be false.
    const p = { a: 1, b: 0, c: 0 };
    expect(matches('a == 1 or b == 1 and c == 1', p)).toBe(true);
    expect(matches('(a == 1 or b == 1) and c == 1', p)).toBe(false);
    // `(not a) and b` is false; `not (a and b)` would be true.
    expect(matches('not a == 1 and b == 1', p)).toBe(false);
    expect(matches('not (a == 1 and b == 1)', p)).toBe(true);
  });

  it('evaluates a very long chain without deep recursion', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `p${i} exists`).join(' or ');
    expect(matches(text, { p49999: 1 })).toBe(true);
    expect(matches(text, {})).toBe(false);
  });
});
