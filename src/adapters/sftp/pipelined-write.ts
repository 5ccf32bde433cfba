import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { youngGarbage } from '../../runtime/young-garbage.js';

/** The largest piece written at once, and the size of the one buffer each piece is copied into. */
const STAGE_BYTES = 64 * 1024;
/** ssh2's largest write to a server that does not announce its limits (OpenSSH does). */
const DEFAULT_MAX_WRITE = 34_000 - 2 * 1024;

/**
 * Writes to an open SFTP handle with several writes in flight at once. ssh2's own write stream
 * waits for each write's answer before the next, which on a loopback link (delayed ACKs) gives
 * about 2 MB/s; with `maxInFlight` outstanding the link stays busy. Memory stays bounded: at most
 * `maxInFlight` writes wait for their answer.
 *
 * ssh2 copies a write's bytes into its request packet before `write` returns, but keeps the
 * buffer it was given until the answer (to write the rest of one larger than the server takes).
 * Given the body's own chunks, 32 writes in flight kept 2 MB of them alive across young
 * collections, which moved them to the old generation, where they piled up as garbage until a
 * full collection. So each piece is copied into one buffer of this writer's, no larger than
 * the server takes; ssh2 then keeps only that, and the chunks die young.
 */
export class PipelinedWrite extends Writable {
  private position = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private resume: (() => void) | undefined;
  /** The chunk being written, while some of it waits for a write to be answered. */
  private current: { chunk: Buffer; from: number; callback: (error?: Error | null) => void } | undefined;
  private readonly stage = Buffer.allocUnsafeSlow(STAGE_BYTES);

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
    this.current = { chunk, from: 0, callback };
    this.pump();
  }

  /** Writes pieces of the current chunk while fewer than `maxInFlight` wait; again at each answer. */
  private pump(): void {
    const current = this.current;
    if (!current) return;
    if (this.failure) {
      this.current = undefined;
      return current.callback(this.failure);
    }
    const { chunk } = current;
    const piece = this.piece();
    while (current.from < chunk.length && this.inFlight < this.maxInFlight) {
      const length = Math.min(piece, chunk.length - current.from);
      chunk.copy(this.stage, 0, current.from, current.from + length);
      current.from += length;
      this.send(length);
    }
    if (current.from < chunk.length || this.inFlight >= this.maxInFlight) return;
    this.current = undefined;
    // The chunk, and ssh2's SFTP packets, SSH packets and cipher output made from it, are garbage now.
    youngGarbage(4 * chunk.length);
    current.callback();
  }

  private send(length: number): void {
    const offset = this.position;
    this.position += length;
    this.inFlight++;
    this.sftp.write(this.handle, this.stage, 0, length, offset, (error) => {
      this.inFlight--;
      if (error && !this.failure) this.failure = error;
      this.pump();
      const resume = this.resume;
      this.resume = undefined;
      resume?.();
    });
  }

  /** No larger than the server takes: a longer write would be finished from the stage later. */
  private piece(): number {
    const max = (this.sftp as unknown as { _maxWriteLen?: unknown })._maxWriteLen;
    return Math.min(STAGE_BYTES, typeof max === 'number' && max > 0 ? max : DEFAULT_MAX_WRITE);
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
