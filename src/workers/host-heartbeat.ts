import { streams } from '../domain/streams.js';
import type { EventStore } from '../store/event-store.js';
import { makeEvent } from '../store/make-event.js';
import type { HostInstanceIdentity } from './host-instance.js';
import type { Logger } from './logger.js';

/** How often an instance records that it is alive, unless told otherwise. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

export interface Heartbeat {
  /** Stops beating; a beat under way is finished first, so none lands after the stop event. */
  stop(): Promise<void>;
}

/**
 * Records `HostInstanceAlive` now and every `everyMs`, so that a killed instance, which never
 * records its stop, can be told from a running one. The stream keeps only the newest beat: the
 * start and stop in `host-{name}` are the history; a heartbeat is only the latest sign of life.
 * A beat that fails is logged and the next one tries again.
 */
export async function startHeartbeat(
  store: EventStore,
  identity: HostInstanceIdentity,
  everyMs: number,
  logger: Logger,
): Promise<Heartbeat> {
  const stream = streams.hostbeat(identity.instance);
  await store.setStreamMetadata(stream, { maxCount: 1 });
  const beat = async () => {
    try {
      await store.append(
        stream,
        [
          makeEvent(
            'HostInstanceAlive',
            { host: identity.host, instance: identity.instance },
            { actor: `worker:${identity.instance}` },
          ),
        ],
        'any',
      );
    } catch (error) {
      logger.warn({ err: error, instance: identity.instance }, 'heartbeat not recorded; the next one tries again');
    }
  };
  await beat();
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(beat);
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
