import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { open, seal } from '../../../src/workers/secrets/seal.js';

const key = randomBytes(32);

describe('sealing a secret value (AES-256-GCM, name and version as AAD)', () => {
  it('opens what it sealed, for any value', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 1000 }), (value, version) => {
        expect(open(key, 'partner', version, seal(key, 'partner', version, value))).toBe(value);
      }),
    );
  });

  it('uses a fresh 12-byte IV each time, keeps a 16-byte tag, and never stores the value', () => {
    const a = seal(key, 'partner', 1, 'hunter2-hunter2');
    const b = seal(key, 'partner', 1, 'hunter2-hunter2');
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(JSON.stringify(a)).not.toContain(Buffer.from('hunter2-hunter2').toString('base64'));
  });

  it('refuses to open under another name, another version, another key, or with a changed byte', () => {
    const sealed = seal(key, 'partner', 2, 'value');
    expect(() => open(key, 'other', 2, sealed)).toThrow();
    expect(() => open(key, 'partner', 3, sealed)).toThrow();
    expect(() => open(randomBytes(32), 'partner', 2, sealed)).toThrow();
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    expect(() => open(key, 'partner', 2, { ...sealed, ciphertext: bytes.toString('base64') })).toThrow();
    expect(open(key, 'partner', 2, sealed)).toBe('value');
  });
});
