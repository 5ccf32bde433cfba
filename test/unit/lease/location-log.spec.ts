import { describe, expect, it } from 'vitest';
import type { EventData, NewEvent } from '../../../src/domain/events/index.js';
import { unfinishedClaims } from '../../../src/domain/location/unfinished-claims.js';
import { makeEvent } from '../../../src/store/make-event.js';
import { CHECKPOINT_AFTER, FencedLocationLog } from '../../../src/workers/receiver/location-log.js';
import { takeAsNewHolder } from '../../support/fresh-holder.js';
import { MemoryBackend } from '../../support/memory-event-store.js';

const resource = 'location-ftp-in';
const stream = 'location-ftp-in';

const claimed = (n: number): EventData<'FileClaimed'> => ({
  location: 'ftp-in',
  path: `/in/${n}.xml`,
  size: n,
  mtime: '2026-01-01T00:00:00Z',
  messageId: `m${n}`,
});
const completed = (n: number): EventData<'FileCompleted'> => ({
  location: 'ftp-in',
  path: `/in/${n}.xml`,
  messageId: `m${n}`,
  action: 'deleted',
});

async function holder(backend: MemoryBackend, name: string) {
  const { store, held } = await takeAsNewHolder(backend, resource, name);
  const log = new FencedLocationLog(store, await held.fence(stream), name);
  store.eventsRead = 0;
  return { store, log };
}

describe('location log: unfinished claims across takeovers', () => {
  it('a new holder reads back only to the latest checkpoint, and finds the same open claims as a read of the whole stream', async () => {
    const backend = new MemoryBackend();
    const first = await holder(backend, 'a');
    // A long history: 1,500 files claimed and completed, and two a holder died holding (7 and 1,200).
    for (let n = 0; n < 1_500; n++) {
      await first.log.record('FileClaimed', claimed(n));
      if (n !== 7 && n !== 1_200) await first.log.record('FileCompleted', completed(n));
    }

    const second = await holder(backend, 'b');
    const open = await second.log.unfinished();
    expect(open.map((c) => c.data.messageId)).toEqual(['m7', 'm1200']);
    // The first takeover reads it all, and leaves a checkpoint behind.
    expect(second.store.eventsRead).toBeGreaterThan(2_998);
    const all = await backend.client().readStream(stream);
    expect(all.at(-1)!.type).toBe('ClaimsCheckpointed');
    expect(unfinishedClaims(all).map((c) => c.data.messageId)).toEqual(['m7', 'm1200']);

    // The second holder finishes one of them and claims two more, then dies.
    await second.log.record('FileCompleted', completed(7));
    await second.log.record('FileClaimed', claimed(2_000));
    await second.log.record('FileClaimed', claimed(2_001));
    await second.log.record('FileCompleted', completed(2_001));

    const third = await holder(backend, 'c');
    const left = await third.log.unfinished();
    expect(left.map((c) => c.data.messageId)).toEqual(['m1200', 'm2000']);
    expect(left[0]!.data).toEqual(claimed(1_200));
    // Back to the checkpoint only (it, the four events after it and the FenceRaised of each
    // term), in one first page of 32.
    expect(third.store.eventsRead).toBeLessThanOrEqual(32);
    expect(unfinishedClaims(await backend.client().readStream(stream)).map((c) => c.data.messageId)).toEqual([
      'm1200',
      'm2000',
    ]);
  });

  it('writes no checkpoint for a short history, and a history that starts with no claims has none open', async () => {
    const backend = new MemoryBackend();
    const first = await holder(backend, 'a');
    expect(await first.log.unfinished()).toEqual([]);
    for (let n = 0; n < CHECKPOINT_AFTER / 4; n++) await first.log.record('FileClaimed', claimed(n));
    const second = await holder(backend, 'b');
    expect(await second.log.unfinished()).toHaveLength(CHECKPOINT_AFTER / 4);
    const types = (await backend.client().readStream(stream)).map((e) => e.type);
    expect(types).not.toContain('ClaimsCheckpointed');
  });

  it('the fold restarts at a checkpoint: what it lists is open, what came before it is not', () => {
    const events: NewEvent[] = [
      makeEvent('FileClaimed', claimed(1), { actor: 't' }),
      makeEvent('ClaimsCheckpointed', { open: [{ type: 'FileClaimed', data: claimed(2) }] }, { actor: 't' }),
      makeEvent('FileClaimed', claimed(3), { actor: 't' }),
      makeEvent('FileCompleted', completed(2), { actor: 't' }),
    ];
    expect(unfinishedClaims(events).map((c) => c.data.messageId)).toEqual(['m3']);
  });
});
