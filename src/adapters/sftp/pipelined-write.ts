import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

/**
 * Writes to an open SFTP handle with several writes in flight at once. ssh2's own write stream
 * waits for each write's answer before the next, which on a loopback link (delayed ACKs) gives
 * about 2 MB/s; with `maxInFlight` outstanding the link stays busy. Memory stays bounded: at most
 * `maxInFlight` chunks wait for their answer.
 */
export class PipelinedWrite extends Writable {
  private position = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private resume: (() => void) | undefined;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly maxInFlight = 32,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  get bytes(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) return callback(this.failure);
    const offset = this.position;
    this.position += chunk.length;
    this.inFlight++;
    this.sftp.write(this.handle, chunk, 0, chunk.length, offset, (error) => {
      this.inFlight--;
      if (error && !this.failure) this.failure = error;
      const resume = this.resume;
      this.resume = undefined;
      resume?.();
    });
    if (this.inFlight < this.maxInFlight) callback();
    else this.resume = () => callback(this.failure);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const settle = () => {
      if (this.inFlight > 0) this.resume = settle;
      else callback(this.failure);
    };
    settle();
  }
}

export function openHandle(sftp: SFTPWrapper, path: string, flags: 'w' | 'a'): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    sftp.open(path, flags, (error, handle) => (error ? reject(error) : resolve(handle))),
  );
}

export function closeHandle(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sftp.close(handle, (error) => (error ? reject(error) : resolve())));
}
