import type { Subscription } from '../config/bindings.js';
import { evaluateFilter, parseFilter, type FilterNode, type PromotedProperties } from '../filters/index.js';

export interface CompiledSubscription {
  readonly name: string;
  readonly sendPort: string;
  readonly filter: FilterNode;
}

/** Parses every enabled subscription's filter once; a bad filter names its subscription. */
export function compileSubscriptions(subscriptions: readonly Subscription[]): CompiledSubscription[] {
  return subscriptions
    .filter((s) => s.enabled)
    .map((s) => {
      try {
        return { name: s.name, sendPort: s.sendPort, filter: parseFilter(s.filter) };
      } catch (error) {
        (error as Error).message = `subscription "${s.name}": ${(error as Error).message}`;
        throw error;
      }
    });
}

export interface RoutingDecision {
  readonly sendPorts: string[];
  readonly subscriptions: string[];
}

/**
 * The publish/subscribe step of the message box: every subscription whose filter matches the
 * promoted properties routes the message to its send port (once per port, however many match).
 */
export function route(
  subscriptions: readonly CompiledSubscription[],
  promoted: PromotedProperties,
  enabledPorts?: ReadonlySet<string>,
): RoutingDecision {
  const sendPorts: string[] = [];
  const matched: string[] = [];
  for (const subscription of subscriptions) {
    if (enabledPorts && !enabledPorts.has(subscription.sendPort)) continue;
    if (!evaluateFilter(subscription.filter, promoted)) continue;
    matched.push(subscription.name);
    if (!sendPorts.includes(subscription.sendPort)) sendPorts.push(subscription.sendPort);
  }
  return { sendPorts, subscriptions: matched };
}
