import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobCorrupt, BlobIdInvalid, BlobTooLarge } from './errors.js';

/** A stored blob: its content address and length in bytes. */
export interface BlobInfo {
  /** Lowercase hex sha256 of the content; the blob's only name. */
  readonly sha256: string;
  readonly size: number;
}

/** A body to store. Chunks must be bytes (`Buffer` / `Uint8Array`), never strings. */
export type BlobSource = Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** Refuse bodies longer than this with `BlobTooLarge`; nothing is kept. Default: no limit. */
  readonly maxBytes?: number;
  /** Aborting stops the write; nothing is kept and the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
}

export interface GetOptions {
  /** Aborting destroys the returned stream. */
  readonly signal?: AbortSignal;
}

/**
 * The blob store port (claim check): message bodies too large to inline in an event live here,
 * addressed by their sha256. Implementations: local disk (embedded default) and, when users
 * outgrow one machine, the NATS JetStream object store.
 *
 * Content addressing makes every write idempotent: storing the same bytes twice yields the same
 * id and keeps one copy, so a retried receive never duplicates a body.
 */
export interface BlobStore {
  /**
   * Streams the source into the store, hashing as it goes; the body is never held whole in
   * memory. Resolves once the blob is durable. A failing source rejects with the source's own
   * error and leaves nothing behind.
   */
  put(source: BlobSource, options?: PutOptions): Promise<BlobInfo>;
  /**
   * Streams the blob's content. Rejects with `BlobNotFound` when there is none. The stream checks
   * the sha256 while it flows and, when the bytes do not match, errors with `BlobCorrupt` after
   * the last chunk: consumers must treat the body as valid only once the stream has ended.
   */
  get(sha256: string, options?: GetOptions): Promise<Readable>;
  has(sha256: string): Promise<boolean>;
  /** The blob's length in bytes; rejects with `BlobNotFound` when there is none. */
  size(sha256: string): Promise<number>;
  /**
   * Removes the blob (retention). Resolves `false` when there was none. A blob is shared by every
   * message with the same body, so callers delete only what no retained message refers to.
   */
  delete(sha256: string): Promise<boolean>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Throws `BlobIdInvalid` unless the value is a lowercase hex sha256 (ids become file paths). */
export function assertSha256(value: string): void {
  if (!isSha256(value)) throw new BlobIdInvalid(value);
}

/**
 * Passes the bytes of `source` through, hashing them, and errors with `BlobCorrupt` after the
 * last chunk when they do not hash to `sha256`. Destroying the result stops `source` (its
 * iterator is returned), so an abandoned read releases its file or connection.
 */
export function verifyingReadable(
  sha256: string,
  source: AsyncIterable<Uint8Array>,
  options: { highWaterMark?: number; mapError?: (error: unknown) => unknown } = {},
): Readable {
  const { mapError = (error: unknown) => error } = options;
  async function* verify(): AsyncGenerator<Uint8Array> {
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.byteLength;
        yield chunk;
      }
    } catch (error) {
      throw mapError(error);
    }
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new BlobCorrupt(sha256, actual, size);
  }
  return Readable.from(verify(), {
    objectMode: false,
    ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
  });
}

/**
 * Reads a small blob wholly into memory, for bodies a pipeline must parse (JSON, XML). Refuses
 * with `BlobTooLarge` as soon as more than `maxBytes` arrive, so an unexpectedly large body
 * cannot exhaust memory; the content is verified like any other read.
 */
export async function readBlobFully(
  store: BlobStore,
  sha256: string,
  options: { maxBytes: number; signal?: AbortSignal },
): Promise<Buffer> {
  const { maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  const stream = await store.get(sha256, options.signal === undefined ? {} : { signal: options.signal });
  const chunks: Buffer[] = [];
  let total = 0;
  // Leaving the loop early (limit, abort) destroys the stream, which closes the blob.
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new BlobTooLarge(maxBytes, sha256);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}
