import type { ConfigKind } from '../events/config-events.js';
import type { SignalboxEvent } from '../events/index.js';
import { allSubscriptions, type Bindings } from './bindings.js';

/** One configuration item as its `config-{kind}-{name}` stream says it is. */
export interface ConfigItemState {
  readonly definition?: Record<string, unknown>;
  readonly enabled: boolean;
  readonly removed: boolean;
}

export interface ConfigItem {
  readonly kind: ConfigKind;
  readonly name: string;
  /** The definition without its `enabled` flag, which has events of its own. */
  readonly definition: Record<string, unknown>;
  readonly enabled: boolean;
}

export type ConfigEvent = Extract<
  SignalboxEvent,
  { type: 'ConfigDefined' | 'ConfigEnabled' | 'ConfigDisabled' | 'ConfigRemoved' }
>;

export const initialConfigItem: ConfigItemState = { enabled: false, removed: false };

/** A newly defined item is enabled; redefining one keeps its enabled state; removing ends it. */
export function evolveConfigItem(state: ConfigItemState, event: ConfigEvent): ConfigItemState {
  switch (event.type) {
    case 'ConfigDefined':
      return {
        definition: event.data.definition,
        enabled: state.definition === undefined || state.removed ? true : state.enabled,
        removed: false,
      };
    case 'ConfigEnabled':
      return { ...state, enabled: true };
    case 'ConfigDisabled':
      return { ...state, enabled: false };
    case 'ConfigRemoved':
      return { ...state, removed: true, enabled: false };
  }
}

/** The events that make an item's stream say what the bindings say; none when it already does. */
export function configChanges(state: ConfigItemState, item: ConfigItem): ConfigEvent[] {
  const events: ConfigEvent[] = [];
  const { kind, name } = item;
  const live = state.definition !== undefined && !state.removed;
  if (!live || canonical(state.definition) !== canonical(item.definition)) {
    events.push({ type: 'ConfigDefined', data: { kind, name, definition: item.definition } });
  }
  const enabledAfter = live ? state.enabled : true;
  if (enabledAfter !== item.enabled) {
    events.push({ type: item.enabled ? 'ConfigEnabled' : 'ConfigDisabled', data: { kind, name } });
  }
  return events;
}

function itemOf(kind: ConfigKind, value: { name: string; enabled?: boolean }): ConfigItem {
  const { enabled, ...definition } = value as { name: string; enabled?: boolean } & Record<string, unknown>;
  // A JSON round trip leaves only what a stored event keeps, so comparing with history is exact.
  return {
    kind,
    name: value.name,
    definition: JSON.parse(JSON.stringify(definition)) as Record<string, unknown>,
    enabled: enabled ?? true,
  };
}

/** Every item a bindings file defines, as configuration items. */
export function configItemsOf(bindings: Bindings): ConfigItem[] {
  return [
    ...bindings.hosts.map((h) => itemOf('host', h)),
    ...bindings.receiveLocations.map((l) => itemOf('receive-location', l)),
    ...bindings.sendPorts.map((p) => itemOf('send-port', p)),
    ...allSubscriptions(bindings).map((s) => itemOf('subscription', s)),
  ];
}

/** JSON with keys sorted: two definitions are the same when their canonical texts are. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
