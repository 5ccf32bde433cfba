import type { AdapterRegistry } from '../../adapters/registry.js';
import { configChanges, configItemsOf, type Bindings, type ConfigItem } from '../../domain/config/index.js';
import { streams } from '../../domain/streams.js';
import type { EventStore, ExpectedRevision } from '../../store/event-store.js';
import { WrongExpectedRevision } from '../../store/errors.js';
import { makeEvent } from '../../store/make-event.js';
import { ConfigConflict } from './errors.js';
import { bindingKinds, isLive, itemKey, readConfigItems, type BindingKind, type StoredItem } from './live-config.js';
import { validateBindings } from './validate-bindings.js';

export interface ConfigDiffEntry {
  readonly kind: string;
  readonly name: string;
  readonly change: 'added' | 'changed' | 'removed';
  /** For `changed`: the top-level fields that differ (`config`, `filter`, `enabled`, …). */
  readonly fields?: string[];
}

export interface ImportOptions {
  readonly actor: string;
  readonly dryRun: boolean;
  /** Names the document in error messages. Default `bindings`. */
  readonly source?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

type Definition = Record<string, unknown> & { name: string };

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The live configuration (as of the latest configuration events) as a bindings document that
 * `importBindings` takes back unchanged. A send port's `filter` is written once, on the port,
 * not again as the subscription it stands for.
 */
export async function exportBindings(store: EventStore): Promise<Bindings> {
  const live = [...(await readConfigItems(store)).values()].filter(isLive);
  const of = (kind: BindingKind) =>
    live
      .filter((item) => item.kind === kind)
      .map((item): Definition => ({ ...item.state.definition, name: item.name, enabled: item.state.enabled }))
      .sort(byName);
  const sendPorts = of('send-port');
  const portFilters = new Map(sendPorts.filter((p) => typeof p.filter === 'string').map((p) => [p.name, p]));
  const subscriptions = of('subscription').filter((s) => {
    const port = portFilters.get(s.name);
    return !(port && s.sendPort === port.name && s.filter === port.filter);
  });
  const hosts = live
    .filter((item) => item.kind === 'host')
    .map((item) => ({ ...item.state.definition, name: item.name }))
    .sort(byName);
  return { hosts, receiveLocations: of('receive-location'), sendPorts, subscriptions } as unknown as Bindings;
}

interface PlannedChange extends ConfigDiffEntry {
  readonly item: { kind: BindingKind; name: string };
  readonly events:
    ReturnType<typeof configChanges> | [{ type: 'ConfigRemoved'; data: { kind: BindingKind; name: string } }];
  readonly expected: ExpectedRevision;
}

/**
 * Applies a bindings document as the whole configuration: validated first (schema, every
 * adapter's settings, filters, pipelines — `SchemaViolation` with every bad field's path, and
 * nothing appended), then only the differences are appended, each to its `config-{kind}-{name}`
 * stream with the actor: items added or changed, and items of the bindings kinds the document
 * no longer has removed. A dry run returns the same diff and appends nothing.
 */
export async function importBindings(
  store: EventStore,
  registry: AdapterRegistry,
  raw: unknown,
  options: ImportOptions,
): Promise<{ diff: ConfigDiffEntry[]; applied: boolean }> {
  const bindings = validateBindings(raw, registry, options.source);
  const plan = planImport(await readConfigItems(store), configItemsOf(bindings));
  const diff = plan.map(({ kind, name, change, fields }) => ({ kind, name, change, ...(fields ? { fields } : {}) }));
  if (options.dryRun) return { diff, applied: false };
  let done = 0;
  options.onProgress?.(done, plan.length);
  for (const change of plan) {
    try {
      await store.append(
        streams.config(change.item.kind, change.item.name),
        change.events.map((e) => makeEvent(e.type, e.data as never, { actor: options.actor })),
        change.expected,
      );
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision)) throw error;
      throw new ConfigConflict(
        `${change.kind}/${change.name} was changed by someone else during the import; ${done} of ${plan.length} changes were applied — run the import again to apply the rest`,
        { cause: error },
      );
    }
    done++;
    options.onProgress?.(done, plan.length);
  }
  return { diff, applied: true };
}

/**
 * The changes, in an order that keeps every intermediate configuration sensible: hosts, then
 * send ports, subscriptions and receive locations are added or changed; then receive locations,
 * subscriptions, send ports and hosts that are gone are removed.
 */
function planImport(stored: Map<string, StoredItem>, desired: readonly ConfigItem[]): PlannedChange[] {
  const rank = (kind: string) => bindingKinds.indexOf(kind as BindingKind);
  const wanted = new Set(desired.map((item) => itemKey(item.kind, item.name)));
  const upserts: PlannedChange[] = [];
  for (const item of [...desired].sort((a, b) => rank(a.kind) - rank(b.kind) || byName(a, b))) {
    const current = stored.get(itemKey(item.kind, item.name));
    const events = configChanges(current?.state ?? { enabled: false, removed: false }, item);
    if (events.length === 0) continue;
    const live = current !== undefined && isLive(current);
    upserts.push({
      kind: item.kind,
      name: item.name,
      change: live ? 'changed' : 'added',
      ...(live ? { fields: changedFields(current.state.definition, current.state.enabled, item) } : {}),
      item: { kind: item.kind as BindingKind, name: item.name },
      events,
      expected: current ? current.revision : 'no_stream',
    });
  }
  const removals: PlannedChange[] = [...stored.values()]
    .filter((item) => isLive(item) && rank(item.kind) >= 0 && !wanted.has(itemKey(item.kind, item.name)))
    .sort((a, b) => rank(b.kind) - rank(a.kind) || byName(a, b))
    .map((item) => ({
      kind: item.kind,
      name: item.name,
      change: 'removed' as const,
      item: { kind: item.kind as BindingKind, name: item.name },
      events: [{ type: 'ConfigRemoved' as const, data: { kind: item.kind as BindingKind, name: item.name } }],
      expected: item.revision,
    }));
  return [...upserts, ...removals];
}

function changedFields(before: Record<string, unknown>, enabledBefore: boolean, item: ConfigItem): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(item.definition)]);
  const fields = [...keys].filter(
    (k) => JSON.stringify(sorted(before[k])) !== JSON.stringify(sorted(item.definition[k])),
  );
  if (enabledBefore !== item.enabled) fields.push('enabled');
  return fields.sort();
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sorted(v)]),
    );
  }
  return value;
}
