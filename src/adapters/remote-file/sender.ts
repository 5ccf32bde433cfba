import type { OutboundMessage, SendHandler, SendOutcome } from '../adapter.js';
import { TransientAdapterError } from '../errors.js';
import { expandFileName } from '../file/macros.js';
import type { RemoteSendOptions } from './config.js';
import { asAdapterError, REMOTE_ERROR } from './errors.js';
import type { RemoteConnector, RemoteFileOperations } from './operations.js';
import { remotePath, tempPath } from './paths.js';
import { ConnectionPool } from './pool.js';

/**
 * Writes each message to `folder/fileName` on the server. The body is streamed to a temporary
 * name (a dot name ending `.sbtmp`, which no `*` mask takes) and renamed once complete, so a
 * reader never sees a partial file; `append` streams straight onto the target instead.
 */
export class RemoteFileSender implements SendHandler {
  private readonly pool: ConnectionPool;
  /** Folders already made on this port's connections, so `createFolder` costs one MKD per folder. */
  private readonly made = new Set<string>();

  constructor(
    private readonly options: RemoteSendOptions,
    private readonly connector: RemoteConnector,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.pool = new ConnectionPool(connector, options.maxConnections);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const name = expandFileName(this.options.fileName, {
      messageId: message.messageId,
      context: message.context,
      now: this.clock(),
    });
    // Checked before connecting: a name that would leave the folder is refused whatever the server says.
    const target = remotePath(this.options.folder, name);
    try {
      const bytes = await this.pool.use((ops) => this.write(ops, message, target));
      return { address: `${this.connector.label}/${target.replace(/^\//, '')}`, properties: { fileName: name, bytes } };
    } catch (error) {
      throw asAdapterError(error, `sending to ${this.connector.label}`);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async write(ops: RemoteFileOperations, message: OutboundMessage, target: string): Promise<number> {
    const { folder, ifExists } = this.options;
    if (this.options.createFolder && !this.made.has(folder)) {
      await ops.mkdir(folder);
      this.made.add(folder);
    }
    const body = await message.openBody();
    if (ifExists === 'append') return ops.upload(body, target, { append: true });
    const tmp = tempPath(folder);
    let bytes: number;
    try {
      bytes = await ops.upload(body, tmp, { append: false });
      // Where the protocol's rename replaces silently (FTP), this check is what `fail` has; SFTP's
      // plain rename refuses an existing name by itself.
      if (ifExists === 'fail' && (await ops.stat(target))) {
        throw new TransientAdapterError(REMOTE_ERROR.EXISTS, `${target} exists (ifExists: fail)`);
      }
      await ops.rename(tmp, target, { overwrite: ifExists === 'overwrite' });
    } catch (error) {
      body.destroy();
      if (!ops.broken) await ops.remove(tmp).catch(() => undefined);
      throw error;
    }
    return bytes;
  }
}
