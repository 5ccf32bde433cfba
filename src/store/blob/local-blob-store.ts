import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SignalboxError } from '../../domain/errors.js';
import {
  assertSha256,
  verifyingReadable,
  type BlobInfo,
  type BlobSource,
  type BlobStore,
  type GetOptions,
  type PutOptions,
} from './blob-store.js';
import { BlobNotFound, BlobStoreIoError, BlobTooLarge, systemErrorCode } from './errors.js';

const CHUNK_BYTES = 64 * 1024;
/** Not hex, so it can never collide with a fan-out directory. */
const TEMP_DIR = 'tmp';
const TEMP_SUFFIX = '.part';
/**
 * Blobs are immutable; read-only files keep a stray editor or script from changing one in place
 * (renaming over it and unlinking it still work, they depend on the directory's mode).
 */
const BLOB_FILE_MODE = 0o444;

/**
 * Content-addressed files on local disk: `root/ab/cd/<sha256>`. The two fan-out levels keep any
 * directory to a few thousand entries even with millions of blobs.
 *
 * A blob is written to `root/tmp/` while it is hashed, fsynced, then renamed to its address and
 * the directory fsynced: rename is atomic, so a reader sees either no blob or the whole of it, and
 * a blob whose `put` resolved survives a crash. Several processes on one host may share a root.
 */
export class LocalBlobStore implements BlobStore {
  private constructor(readonly root: string) {}

  /** Opens (creating when needed) a store rooted at `root`. */
  static async open(root: string): Promise<LocalBlobStore> {
    try {
      await mkdir(join(root, TEMP_DIR), { recursive: true });
    } catch (error) {
      throw new BlobStoreIoError('open', error);
    }
    return new LocalBlobStore(root);
  }

  /** Where the blob lives (or would live); exposed for tests and operators' tools. */
  pathOf(sha256: string): string {
    assertSha256(sha256);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
    const { maxBytes } = options;
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const tempPath = join(this.root, TEMP_DIR, `${process.pid}-${randomUUID()}${TEMP_SUFFIX}`);
    const hash = createHash('sha256');
    let size = 0;
    // Errors from the caller's source pass through unchanged; only our own disk's are wrapped.
    let sourceFailed = false;

    async function* hashing(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source as AsyncIterable<unknown>) {
          if (!(chunk instanceof Uint8Array)) {
            throw new TypeError(`a blob source must yield bytes, got ${typeof chunk}`);
          }
          size += chunk.byteLength;
          if (maxBytes !== undefined && size > maxBytes) throw new BlobTooLarge(maxBytes);
          hash.update(chunk);
          yield chunk;
        }
      } catch (error) {
        sourceFailed = true;
        throw error;
      }
    }

    let file: FileHandle | undefined;
    let renamed = false;
    try {
      file = await open(tempPath, 'wx', BLOB_FILE_MODE);
      await pipeline(hashing(), syncedFileWriter(file), options.signal === undefined ? {} : { signal: options.signal });
      await file.close();
      file = undefined;

      const sha256 = hash.digest('hex');
      const target = this.pathOf(sha256);
      const dir = join(this.root, sha256.slice(0, 2), sha256.slice(2, 4));
      const firstCreated = await mkdir(dir, { recursive: true });
      // Renaming over an existing copy is as atomic as a fresh rename, and replaces a copy that
      // was damaged on disk with a good one.
      await rename(tempPath, target);
      renamed = true;
      await fsyncDir(dir);
      if (firstCreated !== undefined) {
        // New fan-out directories must be durable too, or the blob's path could vanish in a crash.
        await fsyncDir(join(this.root, sha256.slice(0, 2)));
        await fsyncDir(this.root);
      }
      return { sha256, size };
    } catch (error) {
      // Like stream.pipeline, a failed put leaves no half-read source streams behind.
      if (source instanceof Readable && !source.destroyed) source.destroy();
      if (sourceFailed || error instanceof SignalboxError || isAbortError(error)) throw error;
      throw new BlobStoreIoError('put', error);
    } finally {
      if (file !== undefined) await file.close().catch(() => undefined);
      if (!renamed) await unlink(tempPath).catch(() => undefined);
    }
  }

  async get(sha256: string, options: GetOptions = {}): Promise<Readable> {
    const path = this.pathOf(sha256);
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') throw new BlobNotFound(sha256);
      throw new BlobStoreIoError('get', error);
    }
    // The open handle keeps the content readable even if the blob is deleted or replaced meanwhile.
    const stream = verifyingReadable(sha256, file.createReadStream({ highWaterMark: CHUNK_BYTES }), {
      highWaterMark: CHUNK_BYTES,
      mapError: (error) => (isAbortError(error) ? error : new BlobStoreIoError('get', error)),
    });
    if (options.signal !== undefined) addAbortSignal(options.signal, stream);
    return stream;
  }

  async has(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    try {
      await stat(path);
      return true;
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return false;
      throw new BlobStoreIoError('has', error);
    }
  }

  async size(sha256: string): Promise<number> {
    const path = this.pathOf(sha256);
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') throw new BlobNotFound(sha256);
      throw new BlobStoreIoError('size', error);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    // Fan-out directories stay: removing one could race a concurrent put that just created it.
    try {
      await unlink(path);
      return true;
    } catch (error) {
      if (systemErrorCode(error) === 'ENOENT') return false;
      throw new BlobStoreIoError('delete', error);
    }
  }

  /**
   * Removes temp files left by writers that crashed. Only files untouched for `olderThanMs` go,
   * because other processes sharing the root may be writing theirs right now. Returns how many.
   */
  async removeStaleTempFiles(olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
    const dir = join(this.root, TEMP_DIR);
    let removed = 0;
    try {
      const cutoff = Date.now() - olderThanMs;
      for (const name of await readdir(dir)) {
        if (!name.endsWith(TEMP_SUFFIX)) continue;
        const path = join(dir, name);
        try {
          if ((await stat(path)).mtimeMs < cutoff) {
            await unlink(path);
            removed += 1;
          }
        } catch (error) {
          // Its writer finished (renamed) or another sweeper got there first.
          if (systemErrorCode(error) !== 'ENOENT') throw error;
        }
      }
    } catch (error) {
      throw new BlobStoreIoError('removeStaleTempFiles', error);
    }
    return removed;
  }
}

/**
 * Writes into a handle it does not own and fsyncs before finishing, so the pipeline resolves only
 * once the bytes are durable. (A FileHandle write stream cannot do this portably across Node 20:
 * without autoClose it never releases the handle, and its `flush` option is newer than 20.9.)
 */
function syncedFileWriter(file: FileHandle): Writable {
  return new Writable({
    highWaterMark: CHUNK_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      writeFully(file, chunk).then(() => callback(), callback);
    },
    final(callback) {
      file.sync().then(() => callback(), callback);
    },
  });
}

async function writeFully(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function fsyncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
