import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readBlobFully, verifyingReadable } from '../../src/store/blob/blob-store.js';
import { BlobCorrupt } from '../../src/store/blob/errors.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { readAll, rejection, sha256, trickle } from '../support/byte-streams.js';
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

describe('LocalBlobStore', () => {
  it('lays a blob out as root/ab/cd/<sha256>', async () => {
    const body = Buffer.from('<Order id="42"><Line sku="A-1" qty="3"/></Order>');
    const { sha256: s } = await store.put(Readable.from([body]));
    expect(await filesUnder(root)).toEqual([join(s.slice(0, 2), s.slice(2, 4), s)]);
    expect(store.pathOf(s)).toBe(join(root, s.slice(0, 2), s.slice(2, 4), s));
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
    await rejection(readBlobFully(store, id, { maxBytes: 1024 }), BlobCorrupt);
  });

  it('errors with BlobCorrupt when a blob was truncated on disk', async () => {
    const body = randomBytes(200_000);
    const { sha256: id } = await store.put(Readable.from([body]));
    await chmod(store.pathOf(id), 0o644);
    await writeFile(store.pathOf(id), body.subarray(0, 150_000));

    const error = await rejection(readAll(await store.get(id)), BlobCorrupt);
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

  it('leaves one file with the right bytes after concurrent puts of the same content', async () => {
    const body = randomBytes(512 * 1024);
    const id = sha256(body);
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.put(trickle(body, 1000 + i * 512))));
    expect(await filesUnder(root)).toEqual([join(id.slice(0, 2), id.slice(2, 4), id)]);
    expect(sha256(await readFile(store.pathOf(id)))).toBe(id);
    expect(await tempFiles()).toEqual([]);
  });

  it('leaves no temp file behind after concurrent puts of different contents', async () => {
    const bodies = Array.from({ length: 6 }, () => randomBytes(100_000 + Math.floor(Math.random() * 50_000)));
    const results = await Promise.all(bodies.map((body) => store.put(trickle(body, 3000))));
    expect(results.map((r) => r.sha256).sort()).toEqual(bodies.map((body) => sha256(body)).sort());
    expect(await tempFiles()).toEqual([]);
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

describe('verifyingReadable', () => {
  it('passes matching bytes through and errors on mismatching ones', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('def')];
    const good = sha256(Buffer.from('abcdef'));
    expect((await readAll(verifyingReadable(good, Readable.from(parts)))).toString()).toBe('abcdef');
    await expect(readAll(verifyingReadable(EMPTY_SHA256, Readable.from(parts)))).rejects.toBeInstanceOf(BlobCorrupt);
  });
});
