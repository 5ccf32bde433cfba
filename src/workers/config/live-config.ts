import {
  evolveConfigItem,
  initialConfigItem,
  type ConfigEvent,
  type ConfigItemState,
} from '../../domain/config/index.js';
import type { ConfigKind } from '../../domain/events/index.js';
import type { EventStore } from '../../store/event-store.js';

/** The kinds a bindings file holds; others (tokens, secrets, correlation sets) are never touched by it. */
export const bindingKinds = [
  'host',
  'send-port',
  'subscription',
  'receive-location',
] as const satisfies readonly ConfigKind[];
export type BindingKind = (typeof bindingKinds)[number];

export interface StoredItem {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly state: ConfigItemState;
  /** The revision of its stream's last event, for the next append. */
  readonly revision: bigint;
}

export const itemKey = (kind: string, name: string): string => `${kind}/${name}`;

/** Every configuration item ever defined, as its `config-{kind}-{name}` stream says it is now. */
export async function readConfigItems(store: EventStore): Promise<Map<string, StoredItem>> {
  const items = new Map<string, StoredItem>();
  for await (const event of store.readAll({
    filter: {
      streamPrefixes: ['config-'],
      eventTypes: ['ConfigDefined', 'ConfigEnabled', 'ConfigDisabled', 'ConfigRemoved'],
    },
  })) {
    const { kind, name } = event.data as { kind: ConfigKind; name: string };
    const key = itemKey(kind, name);
    const before = items.get(key)?.state ?? initialConfigItem;
    items.set(key, {
      kind,
      name,
      state: evolveConfigItem(before, event as unknown as ConfigEvent),
      revision: event.revision,
    });
  }
  return items;
}

/** Whether the item is part of the live configuration: defined and not removed since. */
export function isLive(item: StoredItem): item is StoredItem & { state: { definition: Record<string, unknown> } } {
  return item.state.definition !== undefined && !item.state.removed;
}
