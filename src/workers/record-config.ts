import {
  configChanges,
  configItemsOf,
  evolveConfigItem,
  initialConfigItem,
  type Bindings,
  type ConfigEvent,
  type ConfigItem,
} from '../domain/config/index.js';
import { streams } from '../domain/streams.js';
import type { EventStore } from '../store/event-store.js';
import { WrongExpectedRevision } from '../store/errors.js';
import { makeEvent } from '../store/make-event.js';

export interface RecordedConfig {
  /** Items whose stream gained events (defined, changed, enabled or disabled). */
  readonly changed: readonly string[];
}

/**
 * Writes what a bindings file says into the configuration streams, so history shows which
 * configuration was live when, and who brought it. Items already as the file says get nothing.
 * Items missing from the file are left alone: instances of other hosts may run other files.
 */
export async function recordBindings(store: EventStore, bindings: Bindings, actor: string): Promise<RecordedConfig> {
  const changed: string[] = [];
  for (const item of configItemsOf(bindings)) {
    if (await recordItem(store, item, actor)) changed.push(`${item.kind}/${item.name}`);
  }
  return { changed };
}

async function recordItem(store: EventStore, item: ConfigItem, actor: string): Promise<boolean> {
  const stream = streams.config(item.kind, item.name);
  // Instances starting together race on the same items; the loser reads again and finds it done.
  for (let attempt = 0; ; attempt++) {
    const history = await store.readStream(stream);
    const state = history.reduce((s, e) => evolveConfigItem(s, e as unknown as ConfigEvent), initialConfigItem);
    const events = configChanges(state, item);
    if (events.length === 0) return false;
    const expected = history.length === 0 ? 'no_stream' : history[history.length - 1]!.revision;
    try {
      await store.append(
        stream,
        events.map((e) => makeEvent(e.type, e.data as never, { actor })),
        expected,
      );
      return true;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= 5) throw error;
    }
  }
}
