import type { RecordedEvent } from '../../store/event-store.js';
import type { EventStore } from '../../store/event-store.js';

export interface HostInstanceView {
  host: string;
  instance: string;
  pid: number;
  hostname: string;
  version: string;
  startedAt: string;
  /** `stopped` once it recorded its stop; a killed process never does, and stays `started`. */
  state: 'started' | 'stopped';
  stoppedAt: string | null;
  stopReason: string | null;
}

/** Every host instance that ever started, from the `host-{name}` streams, newest start first. */
export async function hostInstances(store: EventStore): Promise<HostInstanceView[]> {
  const instances = new Map<string, HostInstanceView>();
  for await (const event of store.readAll({
    filter: { streamPrefixes: ['host-'], eventTypes: ['HostInstanceStarted', 'HostInstanceStopped'] },
  })) {
    apply(instances, event);
  }
  return [...instances.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

function apply(instances: Map<string, HostInstanceView>, event: RecordedEvent): void {
  if (event.type === 'HostInstanceStarted') {
    const { host, instance, pid, hostname, version } = event.data;
    instances.set(instance, {
      host,
      instance,
      pid,
      hostname,
      version,
      startedAt: event.recordedAt.toISOString(),
      state: 'started',
      stoppedAt: null,
      stopReason: null,
    });
  } else if (event.type === 'HostInstanceStopped') {
    const known = instances.get(event.data.instance);
    if (known) {
      known.state = 'stopped';
      known.stoppedAt = event.recordedAt.toISOString();
      known.stopReason = event.data.reason;
    }
  }
}
