import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OutboundMessage, SendHandler, SendOutcome } from '../adapter.js';
import type { FileSendConfig } from './config.js';
import { fileSystemError } from './errors.js';
import { expandFileName } from './macros.js';
import { pathInFolder } from './target-path.js';
import { appendTo, publish, syncFolder, writeTemp } from './write-file.js';

/**
 * Writes each message to `folder/fileName`: the body is streamed to a temporary name in the
 * target folder, fsynced, and only then given its name, so a reader never sees a partial file.
 */
export class FileSendHandler implements SendHandler {
  private readonly folder: string;
  /** Appends to one file from this process go one at a time, so their bytes never interleave. */
  private readonly appending = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: FileSendConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.folder = resolve(config.folder);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const name = expandFileName(this.config.fileName, {
      messageId: message.messageId,
      context: message.context,
      now: this.clock(),
    });
    const target = pathInFolder(this.folder, name);
    if (this.config.createFolder) {
      await mkdir(this.folder, { recursive: true }).catch((error: unknown) => {
        throw fileSystemError(error, `cannot create folder ${this.folder}`);
      });
    }
    const { tmp, bytes } = await writeTemp(this.folder, await message.openBody(), signal);
    if (this.config.ifExists === 'append') await this.serialised(target, () => appendTo(tmp, target));
    else await publish(tmp, target, this.config.ifExists);
    await syncFolder(this.folder);
    return { address: target, properties: { fileName: name, bytes } };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.appending.values());
  }

  private async serialised(target: string, work: () => Promise<void>): Promise<void> {
    const previous = this.appending.get(target) ?? Promise.resolve();
    const current = previous.then(work, work);
    this.appending.set(target, current);
    try {
      await current;
    } finally {
      if (this.appending.get(target) === current) this.appending.delete(target);
    }
  }
}
