/**
 * Stream names. Every stream is `{category}-{id}`; the category is everything before the first
 * dash, so ids may contain dashes but categories may not.
 */
export const streamCategories = [
  'message',
  'lease',
  'location',
  'port',
  'correlation',
  'config',
  'host',
  'hostbeat',
  'audit',
  'leaselog',
  'token',
  'secret',
] as const;
export type StreamCategory = (typeof streamCategories)[number];

function part(label: string, value: string): string {
  if (value.length === 0) throw new Error(`${label} must not be empty`);
  return value;
}

export const streams = {
  message: (id: string) => `message-${part('message id', id)}`,
  lease: (resource: string) => `lease-${part('lease resource', resource)}`,
  location: (name: string) => `location-${part('location name', name)}`,
  port: (name: string) => `port-${part('port name', name)}`,
  correlation: (set: string, key: string) =>
    `correlation-${part('correlation set', set)}-${part('correlation key', key)}`,
  config: (kind: string, name: string) => `config-${part('config kind', kind)}-${part('config name', name)}`,
  host: (name: string) => `host-${part('host name', name)}`,
  /** A host instance's heartbeats; the stream keeps only the newest (`maxCount` 1). */
  hostbeat: (instance: string) => `hostbeat-${part('host instance', instance)}`,
  /**
   * Every change of hands of a lease, kept for good: the lease stream itself keeps only its
   * newest events, so without this a view built later could not show old failovers.
   */
  leaselog: (resource: string) => `leaselog-${part('lease resource', resource)}`,
  /** `audit-anchors`: the audit anchors (docs/audit.md). */
  audit: (name: string) => `audit-${part('audit stream name', name)}`,
  /** An API token's issue and revocation. */
  token: (id: string) => `token-${part('token id', id)}`,
  /**
   * A secret's sealed values (`secret-{name}`). Secret names start with a letter or digit, so
   * `secret-_master-key` (the master key ids and rotations) can be no secret's stream.
   */
  secret: (name: string) => `secret-${part('secret name', name)}`,
} as const satisfies Record<StreamCategory, (...args: string[]) => string>;

export function categoryOf(stream: string): StreamCategory | undefined {
  const dash = stream.indexOf('-');
  const category = dash < 0 ? stream : stream.slice(0, dash);
  return (streamCategories as readonly string[]).includes(category) ? (category as StreamCategory) : undefined;
}

/** The prefix that selects every stream of a category, for subscription filters. */
export function categoryPrefix(category: StreamCategory): string {
  return `${category}-`;
}
