import { z } from 'zod';
import { artifactName } from './names.js';
import { retryPolicySchema } from './retry.js';

/**
 * A bindings file: the whole configuration of hosts, receive locations, send ports and
 * subscriptions, as BizTalk's binding files are. Adapter settings (`config`) are checked against
 * the adapter's own schema by the adapter registry, which knows every adapter.
 */

const adapterConfig = z.record(z.string(), z.unknown()).default({});

export const hostSchema = z.object({
  name: artifactName,
  description: z.string().optional(),
});

export const pipelineStepSchema = z.discriminatedUnion('component', [
  z.object({ component: z.literal('passthrough') }),
  z.object({ component: z.literal('json-validate'), schema: z.record(z.string(), z.unknown()) }),
  z.object({ component: z.literal('xml-wellformed') }),
  z.object({
    component: z.literal('promote'),
    /** Property name → JSON pointer (`/order/type`) or XML path (`/Order/@type`, `/Order/Type`). */
    properties: z.record(z.string(), z.string().min(1)),
  }),
  z.object({
    component: z.literal('split'),
    /** JSON pointer to an array (`""`: the body is the array), or an XML path selecting the repeating element. */
    path: z.string(),
  }),
]);
export type PipelineStep = z.infer<typeof pipelineStepSchema>;

/**
 * A send that starts a conversation: its key goes out with the message (engine-made, in
 * `property`) or comes back from the transport (`property` read from the send's outcome, such
 * as an MQ MsgId), and a reply must follow it within `timeoutMs` or the request is suspended.
 */
export const correlationInitSchema = z.object({
  set: artifactName,
  property: z.string().min(1),
  keySource: z.enum(['engine', 'transport']).default('engine'),
  timeoutMs: z.number().int().positive().default(60_000),
});

/** A receive location whose messages may be replies: `property` holds the key of `set`. */
export const correlationFollowSchema = z.object({
  set: artifactName,
  property: z.string().min(1),
});

export const receiveLocationSchema = z.object({
  name: artifactName,
  /** The receive port this location feeds; routes see it as `BTS.ReceivePortName`. */
  receivePort: artifactName,
  host: artifactName.default('default'),
  adapter: z.string().min(1),
  config: adapterConfig,
  pipeline: z.array(pipelineStepSchema).default([{ component: 'passthrough' }]),
  follows: correlationFollowSchema.optional(),
  enabled: z.boolean().default(true),
});

export const orderedDeliverySchema = z.object({
  /** On a failed send: stop the port until an operator acts, or suspend the message and go on. */
  onFailure: z.enum(['stop', 'suspend']).default('stop'),
});

export const sendPortSchema = z.object({
  name: artifactName,
  host: artifactName.default('default'),
  /** Static port: an adapter and its settings. Dynamic port: the address comes from the message. */
  adapter: z.string().min(1).optional(),
  config: adapterConfig,
  dynamic: z.boolean().default(false),
  retry: retryPolicySchema.default({ count: 3, intervalMs: 5_000, backoff: 'fixed', maxIntervalMs: 300_000 }),
  backup: z.object({ adapter: z.string().min(1), config: adapterConfig }).optional(),
  ordered: orderedDeliverySchema.optional(),
  /** Shorthand for one subscription named after the port. */
  filter: z.string().optional(),
  correlation: correlationInitSchema.optional(),
  enabled: z.boolean().default(true),
});

export const subscriptionSchema = z.object({
  name: artifactName,
  sendPort: artifactName,
  /** A filter over promoted context properties, e.g. `BTS.ReceivePortName == 'orders'`. */
  filter: z.string().min(1),
  enabled: z.boolean().default(true),
});

export const bindingsSchema = z
  .object({
    hosts: z.array(hostSchema).default([{ name: 'default' }]),
    receiveLocations: z.array(receiveLocationSchema).default([]),
    sendPorts: z.array(sendPortSchema).default([]),
    subscriptions: z.array(subscriptionSchema).default([]),
  })
  .superRefine((bindings, ctx) => {
    const unique = (items: { name: string }[], key: string) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.name)) {
          ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `duplicate name "${item.name}"` });
        }
        seen.add(item.name);
      });
    };
    unique(bindings.hosts, 'hosts');
    unique(bindings.receiveLocations, 'receiveLocations');
    unique(bindings.sendPorts, 'sendPorts');
    unique(bindings.subscriptions, 'subscriptions');
    const hosts = new Set(bindings.hosts.map((h) => h.name));
    const ports = new Map(bindings.sendPorts.map((p) => [p.name, p]));
    bindings.receiveLocations.forEach((location, i) => {
      if (!hosts.has(location.host)) {
        ctx.addIssue({ code: 'custom', path: ['receiveLocations', i, 'host'], message: `no host "${location.host}"` });
      }
    });
    bindings.sendPorts.forEach((port, i) => {
      if (!hosts.has(port.host)) {
        ctx.addIssue({ code: 'custom', path: ['sendPorts', i, 'host'], message: `no host "${port.host}"` });
      }
      if (!port.dynamic && !port.adapter) {
        ctx.addIssue({
          code: 'custom',
          path: ['sendPorts', i, 'adapter'],
          message: 'a static send port needs an adapter',
        });
      }
      if (port.dynamic && port.adapter) {
        ctx.addIssue({
          code: 'custom',
          path: ['sendPorts', i, 'adapter'],
          message: 'a dynamic send port takes its adapter from the message address; remove "adapter"',
        });
      }
    });
    bindings.subscriptions.forEach((subscription, i) => {
      if (!ports.has(subscription.sendPort)) {
        ctx.addIssue({
          code: 'custom',
          path: ['subscriptions', i, 'sendPort'],
          message: `no send port "${subscription.sendPort}"`,
        });
      }
    });
  });

export type Bindings = z.infer<typeof bindingsSchema>;
export type HostDefinition = z.infer<typeof hostSchema>;
export type ReceiveLocation = z.infer<typeof receiveLocationSchema>;
export type SendPort = z.infer<typeof sendPortSchema>;
export type Subscription = z.infer<typeof subscriptionSchema>;

/** Every subscription, including the ones a send port's `filter` shorthand declares. */
export function allSubscriptions(bindings: Bindings): Subscription[] {
  const fromPorts = bindings.sendPorts
    .filter((port) => port.filter !== undefined)
    .map((port) => ({ name: port.name, sendPort: port.name, filter: port.filter!, enabled: port.enabled }));
  return [...fromPorts, ...bindings.subscriptions];
}
