import type { RemoteConnector, RemoteFileOperations } from './operations.js';

/** One receiver's connection: opened on first use, opened again after it broke. */
export class RemoteSession {
  private current: RemoteFileOperations | undefined;

  constructor(private readonly connector: RemoteConnector) {}

  async ops(): Promise<RemoteFileOperations> {
    if (this.current?.broken) await this.close();
    this.current ??= await this.connector.connect();
    return this.current;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.close().catch(() => undefined);
  }
}
