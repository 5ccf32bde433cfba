import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { streams } from '../domain/streams.js';
import type { EventStore } from '../store/event-store.js';
import { makeEvent } from '../store/make-event.js';
import { DEFAULT_HEARTBEAT_MS, startHeartbeat } from './host-heartbeat.js';
import { silentLogger, type Logger } from './logger.js';

export interface HostInstanceIdentity {
  readonly host: string;
  /** Unique per process start: `<hostname>/<pid>/<random>`, so a restarted process is a new instance. */
  readonly instance: string;
}

export function newInstanceIdentity(host: string): HostInstanceIdentity {
  return { host, instance: `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}` };
}

/** Records a worker process joining and leaving its host in `host-{name}`. */
export async function recordStarted(
  store: EventStore,
  id: HostInstanceIdentity,
  version: string,
  heartbeatMs: number,
): Promise<void> {
  await store.append(
    streams.host(id.host),
    [
      makeEvent(
        'HostInstanceStarted',
        { host: id.host, instance: id.instance, pid: process.pid, hostname: hostname(), version, heartbeatMs },
        { actor: `worker:${id.instance}` },
      ),
    ],
    'any',
  );
}

export async function recordStopped(store: EventStore, id: HostInstanceIdentity, reason: string): Promise<void> {
  await store.append(
    streams.host(id.host),
    [
      makeEvent(
        'HostInstanceStopped',
        { host: id.host, instance: id.instance, reason },
        { actor: `worker:${id.instance}` },
      ),
    ],
    'any',
  );
}

export interface HostInstance {
  readonly identity: HostInstanceIdentity;
  /** Records `HostInstanceStopped`; a process that is killed never gets to, which is the point. */
  stop(reason: string): Promise<void>;
}

/**
 * Starts this process as an instance of `host`: a new identity, recorded as started. The
 * instance id is also what the process bids for leases with, so a lease's holder can be traced
 * to a host, a machine and a process id.
 */
export async function startHostInstance(
  store: EventStore,
  host: string,
  version: string,
  options: { heartbeatMs?: number; logger?: Logger } = {},
): Promise<HostInstance> {
  const identity = newInstanceIdentity(host);
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  await recordStarted(store, identity, version, heartbeatMs);
  const heartbeat = await startHeartbeat(store, identity, heartbeatMs, options.logger ?? silentLogger);
  return {
    identity,
    async stop(reason) {
      await heartbeat.stop();
      await recordStopped(store, identity, reason);
    },
  };
}
