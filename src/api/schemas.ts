import { z } from 'zod';

/** Paging, as every list answer takes it. */
export const pageQueryFields = {
  limit: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'items per page, 1 to 1000' }),
  cursor: z.string().min(1).optional().meta({ description: 'the nextCursor of the previous page' }),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().optional().meta({ description: 'pass as cursor for the next page; absent on the last' }),
  });
}

export const errorSummary = z.object({ code: z.string(), message: z.string() });
export const isoTime = z.string().meta({ description: 'ISO 8601 time' });
export const jsonValue = z.unknown();
export const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
