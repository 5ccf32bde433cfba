import { z } from 'zod';
import { defineEvent, nonEmpty } from './define.js';

export const HostInstanceStarted = defineEvent(
  'HostInstanceStarted',
  1,
  z.object({
    host: nonEmpty,
    instance: nonEmpty,
    pid: z.number().int().positive(),
    hostname: z.string(),
    version: z.string(),
    /** How often it records `HostInstanceAlive`; absent in instances from before heartbeats. */
    heartbeatMs: z.number().int().positive().optional(),
  }),
);

/** A running instance's heartbeat, in `hostbeat-{instance}`, which keeps only the newest. */
export const HostInstanceAlive = defineEvent('HostInstanceAlive', 1, z.object({ host: nonEmpty, instance: nonEmpty }));

export const HostInstanceStopped = defineEvent(
  'HostInstanceStopped',
  1,
  z.object({ host: nonEmpty, instance: nonEmpty, reason: z.string() }),
);
