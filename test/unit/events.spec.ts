import { describe, expect, it } from 'vitest';
import { SchemaViolation } from '../../src/domain/errors.js';
import {
  decodeStoredEvent,
  eventDefinitions,
  signalboxEventSchema,
  validateNewEvent,
  type NewEvent,
} from '../../src/domain/events/index.js';
import { categoryOf, streams } from '../../src/domain/streams.js';
import { makeEvent } from '../../src/store/make-event.js';

describe('event catalog', () => {
  it('has one definition per type, joined in one discriminated union', () => {
    const types = eventDefinitions.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    // Every event of DESIGN.md section 3 is present.
    for (const type of [
      'MessageReceived',
      'MessageUnroutable',
      'SendClaimed',
      'MessageSent',
      'SendFailed',
      'MessageSuspended',
      'MessageResumed',
      'MessageTerminated',
      'MessageReplayed',
      'LeaseAcquired',
      'LeaseRenewed',
      'LeaseReleased',
      'LeaseTakenOver',
      'FileClaimed',
      'FileCompleted',
      'MailClaimed',
      'MailCompleted',
      'QueueMessageClaimed',
      'QueueMessageCompleted',
      'ClaimsCheckpointed',
      'MessageEnqueued',
      'BacklogCheckpointed',
      'CorrelationInitialized',
      'CorrelationFollowed',
      'ConfigDefined',
      'ConfigEnabled',
      'ConfigDisabled',
      'HostInstanceStarted',
      'HostInstanceStopped',
      'HostInstanceAlive',
    ]) {
      expect(types).toContain(type);
    }
    expect(signalboxEventSchema.safeParse({ type: 'MessageTerminated', data: { messageId: 'm1' } }).success).toBe(true);
    expect(signalboxEventSchema.safeParse({ type: 'NoSuchEvent', data: {} }).success).toBe(false);
  });
});

describe('validateNewEvent', () => {
  const good = () =>
    makeEvent('LeaseRenewed', { resource: 'location-ftp', holder: 'w1', term: 3 }, { actor: 'worker:w1' });

  it('accepts a valid event and strips unknown data fields', () => {
    const event = good();
    const withExtra = { ...event, data: { ...event.data, extra: 1 } } as unknown as NewEvent;
    expect(validateNewEvent(withExtra).data).toEqual(event.data);
  });

  it('names the event type and every bad field', () => {
    const event = { ...good(), data: { resource: '', holder: 'w1', term: -1 } } as unknown as NewEvent;
    const error = (() => {
      try {
        validateNewEvent(event);
      } catch (e) {
        return e;
      }
    })() as SchemaViolation;
    expect(error).toBeInstanceOf(SchemaViolation);
    expect(error.code).toBe('SCHEMA_VIOLATION');
    expect(error.message).toContain('event LeaseRenewed');
    expect(error.issues.map((i) => i.path)).toEqual(['data.resource', 'data.term']);
  });

  it('refuses an unknown type, a bad id, bad metadata and an old schema version', () => {
    expect(() => validateNewEvent({ ...good(), type: 'Nope' } as unknown as NewEvent)).toThrow(/unknown type "Nope"/);
    expect(() => validateNewEvent({ ...good(), id: 'not-a-uuid' })).toThrow(/id: must be a UUID/);
    expect(() => validateNewEvent({ ...good(), metadata: { ...good().metadata, actor: '' } })).toThrow(
      /metadata.actor/,
    );
    const old = makeEvent('LeaseAcquired', { resource: 'r', holder: 'w', term: 1, ttlMs: 100 }, { actor: 'a' });
    expect(() => validateNewEvent({ ...old, metadata: { ...old.metadata, schemaVersion: 1 } })).toThrow(
      /current version 2/,
    );
  });
});

describe('decodeStoredEvent (upcasting)', () => {
  it('lifts LeaseAcquired v1 (ttlSeconds) to v2 (ttlMs)', () => {
    const decoded = decodeStoredEvent(
      'LeaseAcquired',
      { resource: 'r', holder: 'w', term: 1, ttlSeconds: 1.5 },
      { schemaVersion: 1, occurredAt: '2025-01-01T00:00:00.000Z', actor: 'w' },
    );
    expect(decoded.data).toEqual({ resource: 'r', holder: 'w', term: 1, ttlMs: 1500 });
    expect(decoded.metadata.schemaVersion).toBe(2);
  });

  it('refuses a version newer than this build knows', () => {
    expect(() =>
      decodeStoredEvent(
        'MessageResumed',
        { messageId: 'm' },
        { schemaVersion: 9, occurredAt: '2025-01-01T00:00:00Z', actor: 'a' },
      ),
    ).toThrow(/newer than this build knows/);
  });
});

describe('stream names', () => {
  it('builds and recognises every category', () => {
    expect(streams.message('abc')).toBe('message-abc');
    expect(streams.correlation('orders', 'k-1')).toBe('correlation-orders-k-1');
    expect(streams.config('send-port', 'out')).toBe('config-send-port-out');
    expect(categoryOf(streams.lease('location-ftp-in'))).toBe('lease');
    expect(categoryOf('whatever-1')).toBeUndefined();
    expect(() => streams.port('')).toThrow(/port name must not be empty/);
  });
});
