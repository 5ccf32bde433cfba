import { z } from 'zod';
import { defineEvent, nonEmpty } from './define.js';

const term = z.number().int().positive();
const ttlMs = z.number().int().positive();

/** Version 2 counts the ttl in milliseconds; version 1 wrote `ttlSeconds` (see upcasters). */
export const LeaseAcquired = defineEvent(
  'LeaseAcquired',
  2,
  z.object({ resource: nonEmpty, holder: nonEmpty, term, ttlMs }),
);

/**
 * `ttlMs` repeats the holder's ttl so that the lease's state follows from any suffix of its stream
 * (`maxCount` removes the acquisition in time). Optional: renewals written before it lack it.
 */
export const LeaseRenewed = defineEvent(
  'LeaseRenewed',
  1,
  z.object({ resource: nonEmpty, holder: nonEmpty, term, ttlMs: ttlMs.optional() }),
);

export const LeaseReleased = defineEvent(
  'LeaseReleased',
  1,
  z.object({
    resource: nonEmpty,
    holder: nonEmpty,
    term,
    reason: z.enum(['shutdown', 'dependency_unhealthy', 'handler_stopped']),
  }),
);

/** The failover event: who had the lease, who has it now, and why it moved. */
export const LeaseTakenOver = defineEvent(
  'LeaseTakenOver',
  1,
  z.object({
    resource: nonEmpty,
    previousHolder: nonEmpty,
    holder: nonEmpty,
    term,
    ttlMs,
    reason: z.enum(['expired', 'released', 'dependency_unhealthy']),
  }),
);

/**
 * Written by a new lease holder to each stream it fences, before anything else: it moves the
 * stream's revision past the last one the previous holder wrote, so even a deposed holder whose
 * last write is still the stream's head cannot write again.
 */
export const FenceRaised = defineEvent('FenceRaised', 1, z.object({ resource: nonEmpty, holder: nonEmpty, term }));
