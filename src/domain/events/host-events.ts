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
  }),
);

export const HostInstanceStopped = defineEvent(
  'HostInstanceStopped',
  1,
  z.object({ host: nonEmpty, instance: nonEmpty, reason: z.string() }),
);
