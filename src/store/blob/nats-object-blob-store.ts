import { createHash } from 'node:crypto';
import { addAbortSignal, Readable } from 'node:stream';
import {
  connect,
  headers,
  nuid,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type MsgRequest,
  type NatsConnection,
  type PubAck,
} from 'nats';
import {
  assertSha256,
  verifyingReadable,
  type BlobInfo,
  type BlobSource,
  type BlobStore,
  type GetOptions,
  type PutOptions,
} from './blob-store.js';
import { BlobNotFound, BlobTooLarge } from './errors.js';
import { BlobStoreUnavailable, isNoMessageFound, toBlobStoreError } from './nats-blob-errors.js';
import { chunkSubject, digestOf, metaSubject, parseMeta, streamOf, type ObjectMeta } from './nats-object-layout.js';

export interface NatsObjectBlobStoreOptions {
  /** NATS servers, as URLs. */
  readonly servers: string | readonly string[];
  /** The object store bucket. Every node of one installation names the same one. */
  readonly bucket?: string;
  /** Copies of every chunk: 1 on a single server, 3 on a cluster. */
  readonly replicas?: number;
  /** Bytes per chunk message; at most the server's max payload. */
  readonly chunkBytes?: number;
  /** Chunk publishes awaiting their acknowledgement at once while writing. */
  readonly publishWindow?: number;
  /** Deadline of every request to the server, in ms. */
  readonly requestTimeoutMs?: number;
  readonly connectionName?: string;
}

const DEFAULTS = {
  bucket: 'signalbox-blobs',
  replicas: 1,
  chunkBytes: 128 * 1024,
  publishWindow: 8,
  requestTimeoutMs: 10_000,
  connectionName: 'signalbox-blobs',
};

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/**
 * Message bodies in a NATS JetStream object store bucket, replicated by the stream under it, for
 * clusters where workers do not share a disk.
 *
 * Objects are named by their sha256, which is only known once the body has streamed through, so
 * chunks go to a fresh id first and the object's description is published last: until then no
 * reader can see the object, and a put that fails purges its chunks. A body that is already
 * stored keeps its copy and the new chunks are purged. Writing keeps at most `publishWindow`
 * chunks unacknowledged and reading fetches one chunk at a time from the stream leader, so memory
 * stays bounded whatever the body's size.
 *
 * Unlike local files, deleting a blob removes its chunks at once: a reader that is part way
 * through fails (retention deletes only what no retained message refers to).
 */
export class NatsObjectBlobStore implements BlobStore {
  private readonly stream: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly o: Required<Omit<NatsObjectBlobStoreOptions, 'servers'>>,
  ) {
    this.stream = streamOf(o.bucket);
  }

  /** Connects and creates the bucket, or brings its replicas to the configured count. */
  static async connect(options: NatsObjectBlobStoreOptions): Promise<NatsObjectBlobStore> {
    const { servers, ...rest } = options;
    const settings = { ...DEFAULTS, ...stripUndefined(rest) };
    if (!Number.isInteger(settings.replicas) || settings.replicas < 1 || settings.replicas > 5) {
      throw new RangeError(`replicas must be an integer from 1 to 5, got ${settings.replicas}`);
    }
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: typeof servers === 'string' ? servers.split(',') : [...servers],
        name: settings.connectionName,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: settings.requestTimeoutMs,
      });
    } catch (error) {
      throw new BlobStoreUnavailable(`cannot connect to NATS at ${String(servers)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout: settings.requestTimeoutMs });
      const js = nc.jetstream({ timeout: settings.requestTimeoutMs });
      await js.views.os(settings.bucket, { replicas: settings.replicas, storage: StorageType.File });
      const info = await jsm.streams.info(streamOf(settings.bucket));
      if (info.config.num_replicas !== settings.replicas) {
        await jsm.streams.update(info.config.name, { ...info.config, num_replicas: settings.replicas });
      }
      return new NatsObjectBlobStore(nc, jsm, js, settings);
    } catch (error) {
      await nc.close();
      throw toBlobStoreError(error, `opening bucket ${settings.bucket}`);
    }
  }

  /** The replicas the bucket's stream has now (for operators and tests). */
  async replicas(): Promise<number> {
    return (await this.jsm.streams.info(this.stream)).config.num_replicas;
  }

  async put(source: BlobSource, options: PutOptions = {}): Promise<BlobInfo> {
    const { maxBytes, signal } = options;
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const id = nuid.next();
    const subject = chunkSubject(this.o.bucket, id);
    const hash = createHash('sha256');
    const pending: Promise<PubAck>[] = [];
    let size = 0;
    let chunks = 0;
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let published = false;
    const timeout = this.o.requestTimeoutMs;

    const publish = async (payload: Buffer) => {
      chunks += 1;
      pending.push(this.js.publish(subject, payload, { timeout }));
      // Bounded memory: wait for the oldest acknowledgement before reading more of the source.
      if (pending.length >= this.o.publishWindow) await pending.shift();
    };
    const flushFull = async () => {
      while (bufferedBytes >= this.o.chunkBytes) {
        const all = Buffer.concat(buffered, bufferedBytes);
        const payload = all.subarray(0, this.o.chunkBytes);
        buffered = [all.subarray(this.o.chunkBytes)];
        bufferedBytes -= this.o.chunkBytes;
        await publish(payload);
      }
    };

    let sourceError: { error: unknown } | undefined;
    try {
      try {
        for await (const chunk of source as AsyncIterable<unknown>) {
          if (!(chunk instanceof Uint8Array))
            throw new TypeError(`a blob source must yield bytes, got ${typeof chunk}`);
          if (signal?.aborted) throw abortError(signal);
          size += chunk.byteLength;
          if (maxBytes !== undefined && size > maxBytes) throw new BlobTooLarge(maxBytes);
          hash.update(chunk);
          buffered.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          bufferedBytes += chunk.byteLength;
          await flushFull();
        }
      } catch (error) {
        sourceError = { error };
        throw error;
      }
      if (signal?.aborted) throw abortError(signal);
      if (bufferedBytes > 0) await publish(Buffer.concat(buffered, bufferedBytes));
      await Promise.all(pending.splice(0));
      const sha256 = hash.digest('hex');
      const existing = await this.meta(sha256);
      if (existing !== undefined && existing.size === size) {
        // Content addressing: the same bytes are already stored; keep that copy.
        await this.purgeChunks(id);
        return { sha256, size };
      }
      const meta: ObjectMeta = {
        name: sha256,
        bucket: this.o.bucket,
        nuid: id,
        size,
        chunks,
        mtime: new Date().toISOString(),
        digest: digestOf(sha256),
        deleted: false,
        options: { max_chunk_size: this.o.chunkBytes },
      };
      await this.publishMeta(meta);
      published = true;
      // A replaced description (a damaged or concurrent copy) leaves its chunks behind: free them.
      if (existing !== undefined) await this.purgeChunks(existing.nuid).catch(() => undefined);
      return { sha256, size };
    } catch (error) {
      if (source instanceof Readable && !source.destroyed) source.destroy();
      await Promise.allSettled(pending);
      if (!published) await this.purgeChunks(id).catch(() => undefined);
      if (sourceError !== undefined) throw sourceError.error;
      throw toBlobStoreError(error, 'put');
    }
  }

  async get(sha256: string, options: GetOptions = {}): Promise<Readable> {
    const meta = await this.existing(sha256, 'get');
    const stream = verifyingReadable(sha256, this.chunks(meta), {
      mapError: (error) => toBlobStoreError(error, `get ${sha256}`),
    });
    if (options.signal !== undefined) addAbortSignal(options.signal, stream);
    return stream;
  }

  async has(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    try {
      return (await this.meta(sha256)) !== undefined;
    } catch (error) {
      throw toBlobStoreError(error, 'has');
    }
  }

  async size(sha256: string): Promise<number> {
    return (await this.existing(sha256, 'size')).size;
  }

  async delete(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    try {
      const meta = await this.meta(sha256);
      if (meta === undefined) return false;
      await this.publishMeta({ ...meta, deleted: true, size: 0, chunks: 0, digest: '' });
      await this.purgeChunks(meta.nuid);
      return true;
    } catch (error) {
      throw toBlobStoreError(error, 'delete');
    }
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }

  private async existing(sha256: string, what: string): Promise<ObjectMeta> {
    assertSha256(sha256);
    let meta: ObjectMeta | undefined;
    try {
      meta = await this.meta(sha256);
    } catch (error) {
      throw toBlobStoreError(error, what);
    }
    if (meta === undefined) throw new BlobNotFound(sha256);
    return meta;
  }

  /** The live description of `name`, or undefined when there is none or it was deleted. */
  private async meta(name: string): Promise<ObjectMeta | undefined> {
    try {
      const message = await this.jsm.streams.getMessage(this.stream, {
        last_by_subj: metaSubject(this.o.bucket, name),
      });
      const meta = parseMeta(message.data);
      return meta === undefined || meta.deleted === true ? undefined : meta;
    } catch (error) {
      if (isNoMessageFound(error)) return undefined;
      throw error;
    }
  }

  private async publishMeta(meta: ObjectMeta): Promise<void> {
    const h = headers();
    // One description per name: the newest replaces the others.
    h.set('Nats-Rollup', 'sub');
    await this.js.publish(metaSubject(this.o.bucket, meta.name), JSON.stringify(meta), {
      headers: h,
      timeout: this.o.requestTimeoutMs,
    });
  }

  private async purgeChunks(id: string): Promise<void> {
    await this.jsm.streams.purge(this.stream, { filter: chunkSubject(this.o.bucket, id) });
  }

  /** The object's chunks in order, one request each, from the stream leader (never a lagging replica). */
  private async *chunks(meta: ObjectMeta): AsyncGenerator<Uint8Array> {
    const subject = chunkSubject(this.o.bucket, meta.nuid);
    let seq = 1;
    for (let i = 0; i < meta.chunks; i++) {
      let message;
      try {
        // The leader's get takes `next_by_subj` (server 2.9+), which nats.js passes on but does not type.
        const nextChunk: MsgRequest = Object.assign({ seq }, { next_by_subj: subject });
        message = await this.jsm.streams.getMessage(this.stream, nextChunk);
      } catch (error) {
        // The chunks went while reading: the blob was deleted (or replaced) under the reader.
        if (isNoMessageFound(error)) throw new BlobNotFound(meta.name);
        throw error;
      }
      seq = message.seq + 1;
      yield message.data;
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
