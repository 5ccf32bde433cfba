import { z } from 'zod';
import { defineEvent, nonEmpty } from './define.js';

export const configKindSchema = z.enum([
  'host',
  'receive-location',
  'send-port',
  'subscription',
  'correlation-set',
  'secret',
  'token',
]);
export type ConfigKind = z.infer<typeof configKindSchema>;

/**
 * A definition is checked against its kind's schema by the configuration module before it is
 * written; here it is kept as the validated object so history shows exactly what was live.
 */
export const ConfigDefined = defineEvent(
  'ConfigDefined',
  1,
  z.object({ kind: configKindSchema, name: nonEmpty, definition: z.record(z.string(), z.unknown()) }),
);

export const ConfigEnabled = defineEvent('ConfigEnabled', 1, z.object({ kind: configKindSchema, name: nonEmpty }));

export const ConfigDisabled = defineEvent('ConfigDisabled', 1, z.object({ kind: configKindSchema, name: nonEmpty }));

export const ConfigRemoved = defineEvent('ConfigRemoved', 1, z.object({ kind: configKindSchema, name: nonEmpty }));
