import { setTimeout as sleep } from 'node:timers/promises';
import type { SecretResolver } from '../secrets.js';
import type { MqClient, MqConnection, MqHandle, MqObjectDescriptor } from './client.js';
import type { MqConnectionConfig } from './config.js';
import { isConnectionFailure, mqError } from './errors.js';
import { IbmMqClient } from './ibmmq-client.js';
import { SimulatorMqClient } from './simulator/socket-client.js';

/** The MqClient a configuration names. */
export function clientFor(config: Pick<MqConnectionConfig, 'client'>): MqClient {
  return config.client === 'simulator' ? new SimulatorMqClient() : new IbmMqClient();
}

/** Where a connection goes, for messages: never the user or password. */
export function describeTarget(config: MqConnectionConfig): string {
  const qm = config.queueManager || '(default queue manager)';
  return config.conn ? `${qm} at ${config.conn}${config.channel ? ` over ${config.channel}` : ''}` : qm;
}

/**
 * One MQ connection and the objects opened on it, made on first use and made again on the next
 * use after it broke (2009, 2059, 2161, 2162, 2538, …). Attempts after failures wait a back-off
 * that doubles from `reconnectInitialDelayMs` to `reconnectMaxDelayMs`, so a queue manager that
 * is down is not hammered; a working connection resets it.
 */
export class MqSession {
  private connection: MqConnection | undefined;
  private connecting: Promise<MqConnection> | undefined;
  private readonly handles = new Map<string, Promise<MqHandle>>();
  private failures = 0;
  private notBefore = 0;

  constructor(
    private readonly config: MqConnectionConfig,
    private readonly secrets: SecretResolver,
    private readonly client: MqClient = clientFor(config),
  ) {}

  get target(): string {
    return describeTarget(this.config);
  }

  async connect(signal?: AbortSignal): Promise<MqConnection> {
    if (this.connection) return this.connection;
    this.connecting ??= this.makeConnection(signal).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async makeConnection(signal?: AbortSignal): Promise<MqConnection> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) await sleep(wait, undefined, signal ? { signal } : {});
    try {
      const password = this.config.password ? await this.secrets.reveal(this.config.password) : undefined;
      const connection = await this.client.connect({
        queueManager: this.config.queueManager,
        ...(this.config.channel ? { channel: this.config.channel } : {}),
        ...(this.config.conn ? { connection: this.config.conn } : {}),
        ...(this.config.cipherSpec ? { cipherSpec: this.config.cipherSpec } : {}),
        ...(this.config.user ? { user: this.config.user } : {}),
        ...(password !== undefined ? { password } : {}),
        applName: this.config.applName,
      });
      this.failures = 0;
      this.notBefore = 0;
      this.connection = connection;
      return connection;
    } catch (error) {
      this.failures++;
      const delay = Math.min(
        this.config.reconnectMaxDelayMs,
        this.config.reconnectInitialDelayMs * 2 ** (this.failures - 1),
      );
      this.notBefore = Date.now() + delay;
      throw mqError(error, `cannot connect to ${this.target}`);
    }
  }

  /** Opens `od` once per connection and keeps the handle for later calls under `key`. */
  async open(key: string, od: MqObjectDescriptor, options: number, signal?: AbortSignal): Promise<MqHandle> {
    const connection = await this.connect(signal);
    let handle = this.handles.get(key);
    if (!handle) {
      handle = connection.open(od, options);
      this.handles.set(key, handle);
      handle.catch(() => this.handles.delete(key));
    }
    try {
      return await handle;
    } catch (error) {
      await this.failed(error);
      throw mqError(
        error,
        `cannot open ${od.queueManager ? `${od.name} on ${od.queueManager}` : od.name} on ${this.target}`,
      );
    }
  }

  /** After a failed call: a broken connection is dropped, so the next call makes a new one. */
  async failed(error: unknown): Promise<void> {
    if (isConnectionFailure(error)) await this.reset();
  }

  /** Drops the connection (its uncommitted work is backed out by the queue manager). */
  async reset(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.handles.clear();
    if (connection) await connection.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
  }
}
