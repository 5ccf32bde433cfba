import { describe, expect, it } from 'vitest';
import { SchemaViolation } from '../../../src/domain/errors.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { DEFAULT_TTL_MS, LeaseManager, resolveLeaseOptions } from '../../../src/workers/lease/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { MemoryBackend } from '../../support/memory-event-store.js';

describe('lease options', () => {
  it('derive renewal, margin and poll intervals from the ttl', () => {
    expect(resolveLeaseOptions({ resource: 'r', holder: 'h' })).toEqual({
      resource: 'r',
      holder: 'h',
      ttlMs: DEFAULT_TTL_MS,
      renewEveryMs: Math.round(DEFAULT_TTL_MS / 3),
      safetyMarginMs: Math.round(DEFAULT_TTL_MS / 5),
      pollEveryMs: Math.round(DEFAULT_TTL_MS / 20),
      keepEvents: 20,
      onRenewal: undefined,
    });
  });

  it('refuse a renewal period that leaves no renewal before the deadline, naming the field', () => {
    const attempt = () => resolveLeaseOptions({ resource: 'r', holder: 'h', ttlMs: 1000, renewEveryMs: 900 });
    expect(attempt).toThrow(SchemaViolation);
    expect(attempt).toThrow(/renewEveryMs: must be less than ttlMs - safetyMarginMs \(800\)/);
    expect(() => resolveLeaseOptions({ resource: '', holder: 'h', ttlMs: -1 })).toThrow(/resource: .*ttlMs: /);
  });
});

describe('lease stream with nothing left to fold', () => {
  it('is not bid for: truncated away, its terms are unknown and a new term 1 could repeat an old one', async () => {
    const backend = new MemoryBackend();
    const store = backend.client();
    const stream = 'lease-r';
    await store.append(
      stream,
      [makeEvent('LeaseAcquired', { resource: 'r', holder: 'a', term: 7, ttlMs: 1000 }, { actor: 'a' })],
      'no_stream',
    );
    await store.setStreamMetadata(stream, { truncateBefore: 1n });
    const manager = new LeaseManager(store, { resource: 'r', holder: 'b', ttlMs: 1000 }, new ManualClock());
    expect(await manager.observe()).toMatchObject({ known: false, revision: 0n });
    expect(await manager.tryTake()).toBeUndefined();
    expect(await store.streamRevision(stream)).toBe(0n);
  });
});
