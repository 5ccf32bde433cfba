import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SignalboxError } from '../../src/domain/errors.js';
import { readBlobFully, verifyingReadable } from '../../src/store/blob/blob-store.js';
import { BlobCorrupt, BlobIdInvalid, BlobNotFound, BlobTooLarge } from '../../src/store/blob/errors.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('blob');
afterAll(() => dir.cleanup());

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let store: LocalBlobStore;
let root: string;
let run = 0;
beforeEach(async () => {
  run += 1;
  root = join(dir.path, `store-${run}`);
  store = await LocalBlobStore.open(root);
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Yields `data` in small pieces with pauses, so concurrent writers really interleave. */
async function* trickle(data: Buffer, pieceBytes = 4096): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += pieceBytes) {
    yield data.subarray(offset, offset + pieceBytes);
    if ((offset / pieceBytes) % 16 === 0) await sleep(1);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under the store, relative to its root (temp files included). */
async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(path, join(entry.parentPath, entry.name)))
    .sort();
}

/** How many of this process's file descriptors point at `path` (Linux `/proc`). */
async function openDescriptorsOf(path: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(join('/proc/self/fd', fd)).catch(() => '');
    if (target === path) count += 1;
  }
  return count;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) expect.fail('condition not met in time');
    await sleep(10);
  }
}

async function tempFiles(): Promise<string[]> {
  return readdir(join(root, 'tmp'));
}

async function expectRejection<E extends SignalboxError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  const error: unknown = await promise.then(
    () => expect.fail(`expected ${type.name}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}

describe('LocalBlobStore', () => {
  it('round-trips a small body and lays it out as root/ab/cd/<sha256>', async () => {
    const body = Buffer.from('<Order id="42"><Line sku="A-1" qty="3"/></Order>');
    const info = await store.put(Readable.from([body]));

    expect(info).toEqual({ sha256: sha256(body), size: body.length });
    const s = info.sha256;
    expect(await filesUnder(root)).toEqual([join(s.slice(0, 2), s.slice(2, 4), s)]);
    expect(await readAll(await store.get(s))).toEqual(body);
    expect(await store.has(s)).toBe(true);
    expect(await store.size(s)).toBe(body.length);
  });

  it('accepts any async iterable of bytes, Uint8Array chunks included', async () => {
    const parts = [new Uint8Array([1, 2, 3]), Buffer.from([4, 5]), new Uint8Array(0), new Uint8Array([6])];
    const info = await store.put(
      (async function* () {
        yield* parts;
      })(),
    );
    expect(info).toEqual({ sha256: sha256(Buffer.from([1, 2, 3, 4, 5, 6])), size: 6 });
    expect([...(await readAll(await store.get(info.sha256)))]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('round-trips an empty body', async () => {
    const info = await store.put(Readable.from([]));
    expect(info).toEqual({ sha256: EMPTY_SHA256, size: 0 });
    expect((await readAll(await store.get(EMPTY_SHA256))).length).toBe(0);
    expect(await store.size(EMPTY_SHA256)).toBe(0);
  });

  it('round-trips a body of many chunks', async () => {
    const body = randomBytes(1024 * 1024 + 17);
    const info = await store.put(trickle(body, 10_000));
    expect(info).toEqual({ sha256: sha256(body), size: body.length });
    expect((await readAll(await store.get(info.sha256))).equals(body)).toBe(true);
  });

  it('keeps one file when the same content is written twice', async () => {
    const body = Buffer.from('same bytes, twice');
    const first = await store.put(Readable.from([body]));
    const second = await store.put(Readable.from([body.subarray(0, 4), body.subarray(4)]));

    expect(second).toEqual(first);
    expect(await filesUnder(root)).toEqual([join(first.sha256.slice(0, 2), first.sha256.slice(2, 4), first.sha256)]);
    expect(await readAll(await store.get(first.sha256))).toEqual(body);
  });

  it('refuses a missing blob with BlobNotFound', async () => {
    const missing = sha256(Buffer.from('never written'));
    const error = await expectRejection(store.get(missing), BlobNotFound);
    expect(error.code).toBe('BLOB_NOT_FOUND');
    expect(error.retryable).toBe(false);
    expect(error.sha256).toBe(missing);
    await expectRejection(store.size(missing), BlobNotFound);
    expect(await store.has(missing)).toBe(false);
    expect(await store.delete(missing)).toBe(false);
  });

  it('refuses ids that are not a sha256, so none can become a path outside the store', async () => {
    for (const bad of ['../../etc/passwd', EMPTY_SHA256.toUpperCase(), EMPTY_SHA256.slice(1), '']) {
      const error = await expectRejection(store.get(bad), BlobIdInvalid);
      expect(error.code).toBe('BLOB_ID_INVALID');
      await expectRejection(store.has(bad), BlobIdInvalid);
      await expectRejection(store.delete(bad), BlobIdInvalid);
    }
  });

  it('errors with BlobCorrupt at the end of reading a blob edited on disk', async () => {
    const body = Buffer.from('amount=100.00;currency=EUR');
    const { sha256: id } = await store.put(Readable.from([body]));
    const path = store.pathOf(id);
    await chmod(path, 0o644);
    await writeFile(path, 'amount=900.00;currency=EUR');

    const stream = await store.get(id);
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    const error = await new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });

    expect(error).toBeInstanceOf(BlobCorrupt);
    const corrupt = error as BlobCorrupt;
    expect(corrupt.code).toBe('BLOB_CORRUPT');
    expect(corrupt.retryable).toBe(false);
    expect(corrupt.sha256).toBe(id);
    expect(corrupt.actualSha256).toBe(sha256(Buffer.from('amount=900.00;currency=EUR')));
    // Streaming cannot know before the last byte: the bytes arrive, then the error.
    expect(Buffer.concat(received).toString()).toBe('amount=900.00;currency=EUR');
    await expectRejection(readBlobFully(store, id, { maxBytes: 1024 }), BlobCorrupt);
  });

  it('errors with BlobCorrupt when a blob was truncated on disk', async () => {
    const body = randomBytes(200_000);
    const { sha256: id } = await store.put(Readable.from([body]));
    await chmod(store.pathOf(id), 0o644);
    await writeFile(store.pathOf(id), body.subarray(0, 150_000));

    const error = await expectRejection(readAll(await store.get(id)), BlobCorrupt);
    expect(error.actualSize).toBe(150_000);
  });

  it('heals a damaged copy when the same content is written again', async () => {
    const body = Buffer.from('the good copy');
    const { sha256: id } = await store.put(Readable.from([body]));
    await chmod(store.pathOf(id), 0o644);
    await writeFile(store.pathOf(id), 'the bad copy!');

    await store.put(Readable.from([body]));
    expect(await readBlobFully(store, id, { maxBytes: 100 })).toEqual(body);
  });

  it('stores blobs read-only', async () => {
    const { sha256: id } = await store.put(Readable.from([Buffer.from('immutable')]));
    expect((await stat(store.pathOf(id))).mode & 0o222).toBe(0);
  });

  it('lets concurrent puts of the same content finish without corrupting each other', async () => {
    const body = randomBytes(512 * 1024);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.put(trickle(body, 1000 + i * 512))));

    for (const result of results) expect(result).toEqual({ sha256: sha256(body), size: body.length });
    expect(await filesUnder(root)).toEqual([
      join(results[0]!.sha256.slice(0, 2), results[0]!.sha256.slice(2, 4), results[0]!.sha256),
    ]);
    expect(sha256(await readFile(store.pathOf(sha256(body))))).toBe(sha256(body));
    expect((await readBlobFully(store, sha256(body), { maxBytes: body.length })).equals(body)).toBe(true);
  });

  it('keeps concurrent puts of different contents apart', async () => {
    const bodies = Array.from({ length: 6 }, () => randomBytes(100_000 + Math.floor(Math.random() * 50_000)));
    const results = await Promise.all(bodies.map((body) => store.put(trickle(body, 3000))));
    for (const [i, body] of bodies.entries()) {
      expect(results[i]).toEqual({ sha256: sha256(body), size: body.length });
      expect((await readAll(await store.get(results[i]!.sha256))).equals(body)).toBe(true);
    }
    expect(await tempFiles()).toEqual([]);
  });

  it('reads consistently while the same content is being rewritten', async () => {
    const body = randomBytes(300_000);
    const { sha256: id } = await store.put(Readable.from([body]));
    const rewrites = Promise.all(Array.from({ length: 4 }, () => store.put(trickle(body, 7000))));
    const reads = Promise.all(Array.from({ length: 8 }, async () => (await readAll(await store.get(id))).equals(body)));
    expect(await reads).toEqual(Array(8).fill(true));
    await rewrites;
  });

  it('leaves no temp file behind when the source stream fails', async () => {
    const failure = new Error('connection reset by the FTP server');
    let tempWhileWriting: string[] = [];
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(200_000);
      await sleep(5);
      yield randomBytes(200_000);
      tempWhileWriting = await tempFiles();
      throw failure;
    }
    await expect(store.put(failing())).rejects.toBe(failure);
    expect(tempWhileWriting).toHaveLength(1);
    expect(await filesUnder(root)).toEqual([]);

    const readable = new Readable({ read() {} });
    readable.push(randomBytes(100_000));
    setTimeout(() => readable.destroy(failure), 10);
    await expect(store.put(readable)).rejects.toBe(failure);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a source that yields strings, keeping nothing', async () => {
    const stream = Readable.from(['text, not bytes'], { objectMode: true });
    await expect(store.put(stream)).rejects.toBeInstanceOf(TypeError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a body over maxBytes with BlobTooLarge and keeps nothing', async () => {
    const source = Readable.from([randomBytes(40_000), randomBytes(40_000)]);
    const error = await expectRejection(store.put(source, { maxBytes: 50_000 }), BlobTooLarge);
    expect(error.code).toBe('BLOB_TOO_LARGE');
    expect(error.limit).toBe(50_000);
    expect(source.destroyed).toBe(true);
    expect(await filesUnder(root)).toEqual([]);

    const exact = randomBytes(50_000);
    expect(await store.put(Readable.from([exact]), { maxBytes: 50_000 })).toEqual({
      sha256: sha256(exact),
      size: 50_000,
    });
  });

  it('stops on abort and keeps nothing', async () => {
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        yield randomBytes(16_384);
        await sleep(1);
      }
    }
    setTimeout(() => controller.abort(), 30);
    await expect(store.put(endless(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await filesUnder(root)).toEqual([]);
  });

  it('deletes a blob', async () => {
    const { sha256: id } = await store.put(Readable.from([Buffer.from('retained for 30 days')]));
    expect(await store.delete(id)).toBe(true);
    expect(await store.has(id)).toBe(false);
    await expectRejection(store.get(id), BlobNotFound);
    expect(await store.delete(id)).toBe(false);
  });

  it('keeps serving a reader that opened a blob before it was deleted', async () => {
    const body = randomBytes(400_000);
    const { sha256: id } = await store.put(Readable.from([body]));
    const stream = await store.get(id);
    await store.delete(id);
    expect((await readAll(stream)).equals(body)).toBe(true);
  });

  it('releases the file when a reader stops early', async () => {
    const body = randomBytes(1024 * 1024);
    const { sha256: id } = await store.put(Readable.from([body]));
    const stream = await store.get(id);
    for await (const chunk of stream) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      if (existsSync('/proc/self/fd')) expect(await openDescriptorsOf(store.pathOf(id))).toBe(1);
      break;
    }
    expect(stream.destroyed).toBe(true);
    if (existsSync('/proc/self/fd')) {
      await waitUntil(async () => (await openDescriptorsOf(store.pathOf(id))) === 0);
    }
    expect((await readAll(await store.get(id))).equals(body)).toBe(true);
  });

  it('removes only stale temp files', async () => {
    const fresh = join(root, 'tmp', 'fresh.part');
    const stale = join(root, 'tmp', 'stale.part');
    await writeFile(fresh, 'being written');
    await writeFile(stale, 'left by a crash');
    const longAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, longAgo, longAgo);

    expect(await store.removeStaleTempFiles(60 * 60 * 1000)).toBe(1);
    expect(await tempFiles()).toEqual(['fresh.part']);
  });
});

describe('readBlobFully', () => {
  it('reads a small blob into a Buffer', async () => {
    const body = Buffer.from('{"orderId":42}');
    const { sha256: id } = await store.put(Readable.from([body]));
    expect(await readBlobFully(store, id, { maxBytes: body.length })).toEqual(body);
  });

  it('refuses a blob over maxBytes with BlobTooLarge', async () => {
    const { sha256: id } = await store.put(Readable.from([randomBytes(300_000)]));
    const error = await expectRejection(readBlobFully(store, id, { maxBytes: 100_000 }), BlobTooLarge);
    expect(error.sha256).toBe(id);
    expect(error.retryable).toBe(false);
  });

  it('passes BlobNotFound through', async () => {
    await expectRejection(readBlobFully(store, EMPTY_SHA256, { maxBytes: 10 }), BlobNotFound);
  });
});

describe('verifyingReadable', () => {
  it('passes matching bytes through and errors on mismatching ones', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('def')];
    const good = sha256(Buffer.from('abcdef'));
    expect((await readAll(verifyingReadable(good, Readable.from(parts)))).toString()).toBe('abcdef');
    await expect(readAll(verifyingReadable(EMPTY_SHA256, Readable.from(parts)))).rejects.toBeInstanceOf(BlobCorrupt);
  });
});
