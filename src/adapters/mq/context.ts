import { z } from 'zod';
import { defineContextNamespace, type PropertyShape } from '../../domain/context/index.js';
import type { Layout } from './headers/layout.js';
import * as layouts from './headers/structures.js';

/*
 * Context properties of the MQ adapter, one namespace per MQ structure, each field under its
 * IBM name: `MQMD.MsgId`, `MQXQH.RemoteQName`, `MQXQH.MsgDesc.PutApplName`, `MQCIH.TransactionId`.
 * Integers are numbers, character fields strings without their padding, byte fields
 * (MsgId, CorrelId, GroupId, AccountingToken, Facility, TranInstanceId) upper-case hex.
 * StrucId, StrucLength and Version belong to the wire, not the message; Authenticator fields
 * (passwords and passtickets) are never copied into a context, which the store keeps for ever.
 */

const SKIPPED = new Set(['StrucId', 'StrucLength', 'Version', 'Authenticator']);

function shapeOf(layout: Layout, prefix = ''): Record<string, z.ZodType<string | number>> {
  const shape: Record<string, z.ZodType<string | number>> = {};
  for (const field of layout.fields) {
    if (SKIPPED.has(field.name)) continue;
    const name = `${prefix}${field.name}`;
    switch (field.type.kind) {
      case 'long':
        shape[name] = z.number().int();
        break;
      case 'char':
        shape[name] = z.string().max(field.length);
        break;
      case 'bytes':
        shape[name] = z
          .string()
          .regex(new RegExp(`^(?:[0-9A-F]{2}){0,${field.length}}$`), `upper-case hex, at most ${field.length} bytes`);
        break;
      case 'struct':
        Object.assign(shape, shapeOf(field.type.layout, `${name}.`));
        break;
    }
  }
  return shape;
}

export const MQMD = defineContextNamespace('MQMD', shapeOf(layouts.MQMD2) as PropertyShape);
export const MQXQH = defineContextNamespace('MQXQH', {
  RemoteQName: z.string().max(48),
  RemoteQMgrName: z.string().max(48),
  ...shapeOf(layouts.MQMD1, 'MsgDesc.'),
});
export const MQCIH = defineContextNamespace('MQCIH', shapeOf(layouts.MQCIH) as PropertyShape);
export const MQIIH = defineContextNamespace('MQIIH', shapeOf(layouts.MQIIH) as PropertyShape);
export const MQDLH = defineContextNamespace('MQDLH', shapeOf(layouts.MQDLH) as PropertyShape);
/** `MQRFH2.<folder>.<property>`: names come from the message, so the namespace is open. */
export const MQRFH2 = defineContextNamespace('MQRFH2', {}, { open: true });

/** What the adapter itself adds: where the message came from or went. */
export const MQ = defineContextNamespace('MQ', {
  /** The queue received from or put to, as configured (an alias keeps its own name). */
  Queue: z.string().min(1).max(48),
  QueueManager: z.string().max(48),
  /** The name of the dynamic queue a model queue made (send). */
  DynamicQueueName: z.string().min(1).max(48),
  /** Why the headers in front of the data could not be read (the data is then handed on whole). */
  HeaderError: z.string().min(1),
});

export const mqNamespaces = [MQMD, MQXQH, MQCIH, MQIIH, MQDLH, MQRFH2, MQ];
