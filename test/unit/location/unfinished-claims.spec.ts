import { describe, expect, it } from 'vitest';
import type { SignalboxEvent } from '../../../src/domain/events/index.js';
import { unfinishedClaims } from '../../../src/domain/location/unfinished-claims.js';

const meta = { schemaVersion: 1, occurredAt: '2026-01-01T00:00:00.000Z', actor: 't' };
const fileClaimed = (path: string, messageId: string) =>
  ({
    type: 'FileClaimed',
    data: { location: 'l', path, size: 1, mtime: 'm', messageId },
    metadata: meta,
  }) as SignalboxEvent;
const fileCompleted = (path: string, messageId: string) =>
  ({
    type: 'FileCompleted',
    data: { location: 'l', path, messageId, action: 'deleted' },
    metadata: meta,
  }) as SignalboxEvent;

describe('unfinishedClaims', () => {
  it('keeps the claims no completion followed, oldest first', () => {
    const open = unfinishedClaims([
      fileClaimed('a', 'm-a'),
      fileClaimed('b', 'm-b'),
      fileCompleted('a', 'm-a'),
      fileClaimed('c', 'm-c'),
      { type: 'MailClaimed', data: { location: 'l', uidl: 'u1', messageId: 'm-u1' }, metadata: meta } as SignalboxEvent,
      {
        type: 'MailCompleted',
        data: { location: 'l', uidl: 'u1', messageId: 'm-u1' },
        metadata: meta,
      } as SignalboxEvent,
    ]);
    expect(open.map((claim) => claim.data.messageId)).toEqual(['m-b', 'm-c']);
  });

  it('a claim taken again after its completion is open again', () => {
    expect(unfinishedClaims([fileClaimed('a', 'm1'), fileCompleted('a', 'm1'), fileClaimed('a', 'm1')])).toHaveLength(
      1,
    );
  });
});
