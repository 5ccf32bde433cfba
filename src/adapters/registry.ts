import { SchemaViolation } from '../domain/errors.js';
import type { AdapterDefinition } from './adapter.js';
import { UnknownAdapter } from './errors.js';

/** The adapters an engine knows; bindings name them, dynamic addresses find them by scheme. */
export class AdapterRegistry {
  private readonly adapters = new Map<string, AdapterDefinition>();

  /** Settings are validated by the adapter's own schemas before they reach its handlers. */
  register<R, S>(adapter: AdapterDefinition<R, S>): this {
    if (this.adapters.has(adapter.name)) throw new Error(`adapter "${adapter.name}" registered twice`);
    // Adapters of different settings types sit side by side; each only ever receives settings its
    // own schema produced (receiveConfig / sendConfig / address.parse), which TypeScript cannot see.
    this.adapters.set(adapter.name, adapter as unknown as AdapterDefinition);
    return this;
  }

  get(name: string): AdapterDefinition {
    const adapter = this.adapters.get(name);
    if (!adapter) {
      throw new UnknownAdapter(`no adapter "${name}"; known adapters: ${[...this.adapters.keys()].join(', ')}`);
    }
    return adapter;
  }

  names(): string[] {
    return [...this.adapters.keys()];
  }

  /** Checks receive-side settings against the adapter's schema; `path` prefixes field names. */
  receiveConfig(name: string, config: unknown, path: string): unknown {
    const side = this.get(name).receive;
    if (!side) throw new UnknownAdapter(`adapter "${name}" cannot receive (${path})`);
    return check(side.config.safeParse(config), path);
  }

  sendConfig(name: string, config: unknown, path: string): unknown {
    const side = this.get(name).send;
    if (!side) throw new UnknownAdapter(`adapter "${name}" cannot send (${path})`);
    return check(side.config.safeParse(config), path);
  }

  /** The adapter that sends to a dynamic address such as `file:///out/x.xml` or `nats://orders.eu`. */
  forAddress(address: string): { adapter: AdapterDefinition; config: unknown } {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address)?.[1]?.toLowerCase();
    for (const adapter of this.adapters.values()) {
      const parse = adapter.send?.address;
      if (scheme && parse?.schemes.includes(scheme)) return { adapter, config: parse.parse(address) };
    }
    throw new UnknownAdapter(`no adapter sends to "${scheme ?? address}" addresses`);
  }
}

function check(
  result:
    | { success: true; data: unknown }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
  path: string,
): unknown {
  if (result.success) return result.data;
  throw new SchemaViolation(
    path,
    result.error.issues.map((issue) => ({ path: [path, ...issue.path.map(String)].join('.'), message: issue.message })),
  );
}
