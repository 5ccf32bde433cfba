/**
 * Upcasters lift the data of an old schema version to the next one. History is never rewritten:
 * an event is stored as it was written and read as the current version.
 *
 * Key: `${type}@${fromVersion}`; the function returns the data at `fromVersion + 1`.
 */
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

const upcasters = new Map<string, Upcaster>([
  [
    // LeaseAcquired v1 counted the ttl in whole seconds, which cannot express the sub-second
    // ttls the failover tests use; v2 counts milliseconds.
    'LeaseAcquired@1',
    ({ ttlSeconds, ...rest }) => ({ ...rest, ttlMs: Math.round(Number(ttlSeconds) * 1000) }),
  ],
]);

export function upcast(
  type: string,
  version: number,
  targetVersion: number,
  data: Record<string, unknown>,
): Record<string, unknown> {
  let current = data;
  for (let v = version; v < targetVersion; v++) {
    const step = upcasters.get(`${type}@${v}`);
    if (!step) throw new Error(`no upcaster for ${type} from version ${v} to ${v + 1}`);
    current = step(current);
  }
  return current;
}
