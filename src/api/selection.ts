import { z } from 'zod';
import type { MessageFilter } from '../projections/queries/index.js';
import { portStatuses, trackingStatuses } from '../projections/views/tracking-schema.js';

const time = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 time, e.g. 2026-11-17T03:00:00Z' });

/** How operators select messages: by the search page, bulk resume/terminate and replay alike. */
export const selectionFields = {
  status: z.enum(trackingStatuses).optional().meta({ description: 'the message status' }),
  location: z.string().min(1).optional().meta({ description: 'received by this receive location' }),
  port: z.string().min(1).optional().meta({ description: 'routed to this send port' }),
  portStatus: z.enum(portStatuses).optional().meta({ description: 'with the send to `port` in this status' }),
  from: time.optional().meta({ description: 'received at or after' }),
  to: time.optional().meta({ description: 'received before' }),
  property: z
    .string()
    .regex(/^[^=]+=/, 'expected Name=Value, e.g. MQMD.CorrelId=abc')
    .optional()
    .meta({ description: 'a promoted or written context property: Name=Value (Value read as JSON when it is JSON)' }),
};

/** A selection, strictly: a misspelt criterion must not quietly widen a bulk action to everything. */
export const selectionSchema = z
  .strictObject(selectionFields)
  .refine((s) => s.portStatus === undefined || s.port !== undefined, {
    message: 'portStatus needs port',
    path: ['portStatus'],
  });
export type Selection = z.output<typeof selectionSchema>;

/** `Name=Value`; the value is read as JSON when it is a JSON scalar (`5`, `true`, `"5"`), otherwise as text. */
function propertyMatch(text: string): NonNullable<MessageFilter['property']> {
  const eq = text.indexOf('=');
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text
  }
  if (value !== null && typeof value === 'object') value = raw;
  return { name: text.slice(0, eq), value: value as string | number | boolean | null };
}

export function toMessageFilter(selection: Partial<Selection>): MessageFilter {
  return {
    ...(selection.status ? { status: selection.status } : {}),
    ...(selection.location ? { receiveLocation: selection.location } : {}),
    ...(selection.port ? { port: selection.port } : {}),
    ...(selection.portStatus ? { portStatus: selection.portStatus } : {}),
    ...(selection.from ? { receivedFrom: new Date(selection.from) } : {}),
    ...(selection.to ? { receivedBefore: new Date(selection.to) } : {}),
    ...(selection.property ? { property: propertyMatch(selection.property) } : {}),
  };
}

/** The views a selection reads: a property criterion needs the property index. */
export const selectionViews = ['tracking', 'properties'] as const;
