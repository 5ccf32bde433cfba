import type { ReadStreamOptions, RecordedEvent } from '../../src/store/event-store.js';
import { LeaseManager, type HeldLease } from '../../src/workers/lease/index.js';
import { ManualClock } from './manual-clock.js';
import { MemoryEventStore, type MemoryBackend } from './memory-event-store.js';

/** A store client that counts the events its stream reads return: what a takeover reads. */
export class CountingStore extends MemoryEventStore {
  eventsRead = 0;
  override async readStream(name: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const events = await super.readStream(name, options);
    this.eventsRead += events.length;
    return events;
  }
}

const ttl = { ttlMs: 1000, renewEveryMs: 300, safetyMarginMs: 200 };

/**
 * Takes lease `resource` for `holder` on a clock of its own, waiting out the ttl when another
 * holds it: the earlier holder, frozen on its own clock, is as good as dead.
 */
export async function takeAsNewHolder(
  backend: MemoryBackend,
  resource: string,
  holder: string,
): Promise<{ store: CountingStore; held: HeldLease }> {
  const clock = new ManualClock();
  const store = new CountingStore(backend);
  const manager = new LeaseManager(store, { resource, holder, ...ttl }, clock);
  await manager.observe();
  let held = await manager.tryTake();
  if (!held) {
    await clock.advance(ttl.ttlMs);
    await manager.observe();
    held = await manager.tryTake();
  }
  if (!held) throw new Error(`${holder} could not take ${resource}`);
  return { store, held };
}
