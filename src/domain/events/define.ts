import { z } from 'zod';

/**
 * One event type: its name, its current schema version and the schema of its data at that
 * version. Older versions are turned into the current one by upcasters (see `upcasters.ts`).
 */
export interface EventDefinition<T extends string, S extends z.ZodObject> {
  readonly type: T;
  readonly version: number;
  readonly data: S;
  readonly schema: z.ZodObject<{ type: z.ZodLiteral<T>; data: S }>;
}

export function defineEvent<T extends string, S extends z.ZodObject>(
  type: T,
  version: number,
  data: S,
): EventDefinition<T, S> {
  return { type, version, data, schema: z.object({ type: z.literal(type), data }) };
}

export const nonEmpty = z.string().min(1);
export const messageId = nonEmpty.max(200);
export const isoTime = z.iso.datetime({ offset: true });
export const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** Errors recorded in events: a stable code, a human message, and whether a retry may help. */
export const errorInfo = z.object({
  code: nonEmpty,
  message: z.string(),
  retryable: z.boolean().optional(),
});
