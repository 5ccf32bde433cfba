import { z } from 'zod';
import { isoTime, nonEmpty } from './define.js';

/** The lease term under which a fenced write was made. */
export const fenceSchema = z.object({
  lease: nonEmpty,
  term: z.number().int().nonnegative(),
});

export const eventMetadataSchema = z.object({
  /** The version of the event's data schema the writer used; upcasters lift older ones on read. */
  schemaVersion: z.number().int().positive(),
  occurredAt: isoTime,
  /** A user (`user:alice`), an API token's owner, or a worker (`worker:host-a/1234`). */
  actor: nonEmpty,
  causationId: z.string().optional(),
  correlationId: z.string().optional(),
  fence: fenceSchema.optional(),
});

export type Fence = z.infer<typeof fenceSchema>;
export type EventMetadata = z.infer<typeof eventMetadataSchema>;
