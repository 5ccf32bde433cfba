import { connect, type NatsConnection } from 'nats';
import type { NatsReceiveConfig, NatsSendConfig } from './config.js';
import { natsError } from './errors.js';

type ConnectionSettings = Pick<
  NatsReceiveConfig | NatsSendConfig,
  'servers' | 'connectionName' | 'connectTimeoutMs' | 'reconnectTimeWaitMs' | 'maxReconnectAttempts'
>;

/**
 * Connects once; after that the nats client reconnects by itself (and buffers publishes while it
 * does) until `maxReconnectAttempts` is used up and it closes the connection for good.
 */
export async function openConnection(settings: ConnectionSettings, defaultName: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: settings.servers,
      name: settings.connectionName ?? defaultName,
      timeout: settings.connectTimeoutMs,
      reconnectTimeWait: settings.reconnectTimeWaitMs,
      maxReconnectAttempts: settings.maxReconnectAttempts,
      waitOnFirstConnect: false,
    });
  } catch (error) {
    throw natsError(error, `cannot connect to ${String(settings.servers)}`);
  }
}

/**
 * Flushes (acks and naks still in the client's buffer must reach the server, or their messages
 * wait out the ack wait) and closes; a server that is gone gets `timeoutMs`, not forever.
 */
export async function closeQuietly(connection: NatsConnection | undefined, timeoutMs = 2_000): Promise<void> {
  if (!connection || connection.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([connection.flush().catch(() => undefined), giveUp]);
  clearTimeout(timer);
  await connection.close().catch(() => undefined);
}

/** Calls `onClosed` when the connection is closed for good; resolves with why (nothing when closed on purpose). */
export function watchClosed(connection: NatsConnection, onClosed: () => void): Promise<Error | undefined> {
  return connection.closed().then((error) => {
    onClosed();
    return error ?? undefined;
  });
}
