import { describe, expect, it } from 'vitest';
import { chainHash, contentDigest, eventHash, GENESIS_HASH } from '../../src/store/event-hash.js';

const content = { stream: 'message-a', id: 'id-1', type: 'MessageSent', data: '{"a":1}', metadata: '{"actor":"x"}' };

describe('audit event hash', () => {
  it('is sha256 over length-prefixed fields, then chained with the revision and time', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(contentDigest(content)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash(GENESIS_HASH, content, 0, 1000)).toBe(chainHash(GENESIS_HASH, contentDigest(content), 0, 1000));
  });

  it('tells apart contents that only move characters between fields', () => {
    const moved = { ...content, stream: 'message-ai', id: 'd-1' };
    expect(contentDigest(moved)).not.toBe(contentDigest(content));
    // Lengths count UTF-8 bytes, not characters.
    expect(contentDigest({ ...content, data: '{"a":"é"}' })).not.toBe(contentDigest({ ...content, data: '{"a":"e"}' }));
  });

  it('changes with the previous hash, the revision and the time', () => {
    const digest = contentDigest(content);
    const base = chainHash(GENESIS_HASH, digest, 1, 1000);
    expect(chainHash('1'.repeat(64), digest, 1, 1000)).not.toBe(base);
    expect(chainHash(GENESIS_HASH, digest, 2, 1000)).not.toBe(base);
    expect(chainHash(GENESIS_HASH, digest, 1, 1001)).not.toBe(base);
    // Revision and time are separated: 1|21000 is not 12|1000.
    expect(chainHash(GENESIS_HASH, digest, 1, 21000)).not.toBe(chainHash(GENESIS_HASH, digest, 12, 1000));
  });
});
