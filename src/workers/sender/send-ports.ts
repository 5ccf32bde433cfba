import type { SendHandler } from '../../adapters/adapter.js';
import { PermanentAdapterError } from '../../adapters/errors.js';
import type { AdapterRegistry } from '../../adapters/registry.js';
import type { SecretResolver } from '../../adapters/secrets.js';
import type { RetryPolicy, SendPort } from '../../domain/config/index.js';
import type { z } from 'zod';
import type { correlationInitSchema } from '../../domain/config/bindings.js';
import type { MessageContext } from '../../domain/events/index.js';

/** The context property a dynamic send port takes its address from, as BizTalk does. */
export const OUTBOUND_ADDRESS = 'BTS.OutboundTransportLocation';

export interface SendPortRuntime {
  readonly name: string;
  /** The host whose instances send through this port. */
  readonly host: string;
  readonly enabled: boolean;
  readonly retry: RetryPolicy;
  readonly hasBackup: boolean;
  readonly ordered: boolean;
  /** The adapter of the primary transport (`dynamic` for a dynamic port). */
  readonly adapter: string;
  /** The conversation a send on this port starts, if any. */
  readonly correlation?: z.output<typeof correlationInitSchema>;
  /** The handler for this attempt's transport; for a dynamic port, for the message's address. */
  handler(transport: 'primary' | 'backup', context: MessageContext): SendHandler;
}

/**
 * Send ports resolved against the adapter registry once, at start: settings are validated
 * (a bad field is named with its path) and handlers created; dynamic ports keep one handler per
 * adapter and address.
 */
export class SendPorts {
  private readonly ports = new Map<string, SendPortRuntime>();
  private readonly handlers: SendHandler[] = [];

  constructor(
    definitions: readonly SendPort[],
    private readonly registry: AdapterRegistry,
    private readonly secrets: SecretResolver,
  ) {
    definitions.forEach((port, i) => this.ports.set(port.name, this.resolve(port, `sendPorts.${i}`)));
  }

  get(name: string): SendPortRuntime | undefined {
    return this.ports.get(name);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.handlers.map((h) => h.close()));
  }

  private create(adapter: string, config: unknown, port: string, path: string): SendHandler {
    const side = this.registry.get(adapter).send!;
    const handler = side.create(this.registry.sendConfig(adapter, config, path), { name: port, secrets: this.secrets });
    this.handlers.push(handler);
    return handler;
  }

  private resolve(port: SendPort, path: string): SendPortRuntime {
    const primary = port.dynamic ? undefined : this.create(port.adapter!, port.config, port.name, `${path}.config`);
    const backup = port.backup
      ? this.create(port.backup.adapter, port.backup.config, port.name, `${path}.backup.config`)
      : undefined;
    const dynamic = new Map<string, SendHandler>();
    return {
      name: port.name,
      host: port.host,
      enabled: port.enabled,
      retry: port.retry,
      hasBackup: backup !== undefined,
      ordered: port.ordered !== undefined,
      adapter: port.adapter ?? 'dynamic',
      ...(port.correlation ? { correlation: port.correlation } : {}),
      handler: (transport, context) => {
        if (transport === 'backup' && backup) return backup;
        if (primary) return primary;
        const address = context.promoted[OUTBOUND_ADDRESS] ?? context.written[OUTBOUND_ADDRESS];
        if (typeof address !== 'string' || address.length === 0) {
          throw new PermanentAdapterError(
            'NO_OUTBOUND_ADDRESS',
            `dynamic send port ${port.name} needs the message property ${OUTBOUND_ADDRESS}`,
          );
        }
        let handler = dynamic.get(address);
        if (!handler) {
          const { adapter, config } = this.registry.forAddress(address);
          handler = adapter.send!.create(config, { name: port.name, secrets: this.secrets });
          this.handlers.push(handler);
          dynamic.set(address, handler);
        }
        return handler;
      },
    };
  }
}
