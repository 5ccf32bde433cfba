import type { AdapterRegistry } from '../../adapters/registry.js';
import { bindingsSchema, type Bindings } from '../../domain/config/index.js';
import { SchemaViolation } from '../../domain/errors.js';
import { parseFilter } from '../../domain/filters/index.js';
import { compilePipeline } from '../../pipeline/pipeline.js';

type Issue = { path: string; message: string };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const entries = (v: unknown): [number, Record<string, unknown>][] =>
  Array.isArray(v)
    ? v.flatMap((item, i) => (isRecord(item) ? [[i, item] as [number, Record<string, unknown>]] : []))
    : [];

/**
 * Validates a whole bindings document as an engine would run it: the bindings schema, every
 * adapter's own settings schema (through the registry), every filter and every pipeline. All
 * problems are collected, each with its field path, and reported together: a file is accepted
 * whole or refused whole.
 */
export function validateBindings(raw: unknown, registry: AdapterRegistry, source = 'bindings'): Bindings {
  const issues: Issue[] = [];
  const parsed = bindingsSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  // Adapter settings are checked on the raw document, so they are reported even when other fields are bad.
  const doc = isRecord(raw) ? raw : {};
  for (const [i, location] of entries(doc.receiveLocations)) {
    if (typeof location.adapter !== 'string') continue;
    const adapter = location.adapter;
    collect(issues, `receiveLocations.${i}.adapter`, () =>
      registry.receiveConfig(adapter, location.config ?? {}, `receiveLocations.${i}.config`),
    );
  }
  for (const [i, port] of entries(doc.sendPorts)) {
    if (typeof port.adapter === 'string' && port.dynamic !== true) {
      const adapter = port.adapter;
      collect(issues, `sendPorts.${i}.adapter`, () =>
        registry.sendConfig(adapter, port.config ?? {}, `sendPorts.${i}.config`),
      );
    }
    if (typeof port.filter === 'string') {
      const filter = port.filter;
      collect(issues, `sendPorts.${i}.filter`, () => parseFilter(filter));
    }
    const backup = port.backup;
    if (isRecord(backup) && typeof backup.adapter === 'string') {
      const adapter = backup.adapter;
      collect(issues, `sendPorts.${i}.backup.adapter`, () =>
        registry.sendConfig(adapter, backup.config ?? {}, `sendPorts.${i}.backup.config`),
      );
    }
  }
  for (const [i, subscription] of entries(doc.subscriptions)) {
    if (typeof subscription.filter !== 'string') continue;
    const filter = subscription.filter;
    collect(issues, `subscriptions.${i}.filter`, () => parseFilter(filter));
  }
  if (parsed.success) issues.push(...semanticIssues(parsed.data));
  if (issues.length > 0) throw new SchemaViolation(source, issues);
  return parsed.data!;
}

/** Pipelines compile, and no subscription takes the name a port's `filter` gives its own. */
function semanticIssues(bindings: Bindings): Issue[] {
  const issues: Issue[] = [];
  const portFilters = new Set(bindings.sendPorts.filter((p) => p.filter !== undefined).map((p) => p.name));
  bindings.subscriptions.forEach((subscription, i) => {
    if (portFilters.has(subscription.name)) {
      issues.push({
        path: `subscriptions.${i}.name`,
        message: `send port "${subscription.name}" has a filter, which is already a subscription of that name`,
      });
    }
  });
  bindings.receiveLocations.forEach((location, i) => {
    collect(issues, `receiveLocations.${i}.pipeline`, () => compilePipeline(location.pipeline));
  });
  return issues;
}

function collect(issues: Issue[], path: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (error instanceof SchemaViolation) issues.push(...error.issues);
    else issues.push({ path, message: (error as Error).message });
  }
}
