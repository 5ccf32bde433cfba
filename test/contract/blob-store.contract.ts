import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBlobFully, type BlobStore } from '../../src/store/blob/blob-store.js';
import { BlobIdInvalid, BlobNotFound, BlobTooLarge } from '../../src/store/blob/errors.js';
import { readAll, rejection, sha256, trickle } from '../support/byte-streams.js';

/** One fresh, empty store per test. */
export interface BlobStoreUnderTest {
  readonly store: BlobStore;
  /** Everything the store keeps (files, stream subjects), sorted: failed writes must add nothing. */
  listing(): Promise<string[]>;
  cleanup(): Promise<void>;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * What every `BlobStore` must do, whatever keeps the bytes: run against the local disk store and
 * the NATS object store. Implementation details (file layout, read-only files, stale temp files,
 * reading a deleted blob) stay in each implementation's own tests.
 */
export function blobStoreContract(name: string, open: () => Promise<BlobStoreUnderTest>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: BlobStoreUnderTest;
    let store: BlobStore;
    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('round-trips a small body, addressed by its sha256', async () => {
      const body = Buffer.from('<Order id="42"><Line sku="A-1" qty="3"/></Order>');
      const info = await store.put(Readable.from([body]));
      expect(info).toEqual({ sha256: sha256(body), size: body.length });
      expect(await readAll(await store.get(info.sha256))).toEqual(body);
      expect(await store.has(info.sha256)).toBe(true);
      expect(await store.size(info.sha256)).toBe(body.length);
    });

    it('accepts any async iterable of bytes', async () => {
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

    it('keeps one copy when the same content is written twice', async () => {
      const body = Buffer.from('same bytes, twice');
      const first = await store.put(Readable.from([body]));
      const afterFirst = await subject.listing();
      const second = await store.put(Readable.from([body.subarray(0, 4), body.subarray(4)]));
      expect(second).toEqual(first);
      expect(await subject.listing()).toEqual(afterFirst);
      expect(await readAll(await store.get(first.sha256))).toEqual(body);
    });

    it('refuses a missing blob with BlobNotFound', async () => {
      const missing = sha256(Buffer.from('never written'));
      const error = await rejection(store.get(missing), BlobNotFound);
      expect(error.code).toBe('BLOB_NOT_FOUND');
      expect(error.retryable).toBe(false);
      expect(error.sha256).toBe(missing);
      await rejection(store.size(missing), BlobNotFound);
      await rejection(readBlobFully(store, missing, { maxBytes: 10 }), BlobNotFound);
      expect(await store.has(missing)).toBe(false);
      expect(await store.delete(missing)).toBe(false);
    });

    it('refuses ids that are not a lowercase sha256, so none can become a path or subject', async () => {
      for (const bad of ['../../etc/passwd', 'ABC', EMPTY_SHA256.toUpperCase(), EMPTY_SHA256.slice(1), '']) {
        expect((await rejection(store.get(bad), BlobIdInvalid)).code).toBe('BLOB_ID_INVALID');
        await expect(store.has(bad)).rejects.toBeInstanceOf(BlobIdInvalid);
        await expect(store.delete(bad)).rejects.toBeInstanceOf(BlobIdInvalid);
      }
    });

    it('lets concurrent puts of the same content finish with one readable copy', async () => {
      const body = randomBytes(512 * 1024);
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.put(trickle(body, 1000 + i * 512))));
      for (const result of results) expect(result).toEqual({ sha256: sha256(body), size: body.length });
      expect((await readBlobFully(store, sha256(body), { maxBytes: body.length })).equals(body)).toBe(true);
    });

    it('keeps concurrent puts of different contents apart', async () => {
      const bodies = Array.from({ length: 5 }, () => randomBytes(100_000 + Math.floor(Math.random() * 50_000)));
      const results = await Promise.all(bodies.map((body) => store.put(trickle(body, 3000))));
      for (const [i, body] of bodies.entries()) {
        expect(results[i]).toEqual({ sha256: sha256(body), size: body.length });
        expect((await readAll(await store.get(results[i]!.sha256))).equals(body)).toBe(true);
      }
    });

    it('reads consistently while the same content is being rewritten', async () => {
      const body = randomBytes(300_000);
      const { sha256: id } = await store.put(Readable.from([body]));
      const rewrites = Promise.all(Array.from({ length: 3 }, () => store.put(trickle(body, 7000))));
      const reads = Promise.all(
        Array.from({ length: 6 }, async () => (await readAll(await store.get(id))).equals(body)),
      );
      expect(await reads).toEqual(Array(6).fill(true));
      await rewrites;
    });

    it('passes a failing source’s own error through and keeps nothing', async () => {
      const failure = new Error('connection reset by the FTP server');
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield randomBytes(200_000);
        await sleep(5);
        yield randomBytes(200_000);
        throw failure;
      }
      await expect(store.put(failing())).rejects.toBe(failure);
      expect(await subject.listing()).toEqual([]);
    });

    it('refuses a source that yields strings, keeping nothing', async () => {
      await expect(store.put(Readable.from(['text, not bytes'], { objectMode: true }))).rejects.toBeInstanceOf(
        TypeError,
      );
      expect(await subject.listing()).toEqual([]);
    });

    it('refuses a body over maxBytes with BlobTooLarge, keeping nothing, and takes one of exactly maxBytes', async () => {
      const source = Readable.from([randomBytes(40_000), randomBytes(40_000)]);
      const error = await rejection(store.put(source, { maxBytes: 50_000 }), BlobTooLarge);
      expect(error.code).toBe('BLOB_TOO_LARGE');
      expect(error.limit).toBe(50_000);
      expect(source.destroyed).toBe(true);
      expect(await subject.listing()).toEqual([]);
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
      expect(await subject.listing()).toEqual([]);
    });

    it('deletes a blob', async () => {
      const { sha256: id } = await store.put(Readable.from([Buffer.from('retained for 30 days')]));
      expect(await store.delete(id)).toBe(true);
      expect(await store.has(id)).toBe(false);
      await rejection(store.get(id), BlobNotFound);
      expect(await store.delete(id)).toBe(false);
      // Written again after retention removed it, it is back.
      await store.put(Readable.from([Buffer.from('retained for 30 days')]));
      expect(await store.has(id)).toBe(true);
    });

    it('reads into memory with readBlobFully, refusing more than maxBytes', async () => {
      const body = randomBytes(70_000);
      const { sha256: id } = await store.put(Readable.from([body]));
      expect((await readBlobFully(store, id, { maxBytes: 70_000 })).equals(body)).toBe(true);
      const error = await rejection(readBlobFully(store, id, { maxBytes: 69_999 }), BlobTooLarge);
      expect(error.sha256).toBe(id);
      expect(error.retryable).toBe(false);
    });

    it('stops a reader that leaves early without breaking later reads', async () => {
      const body = randomBytes(1024 * 1024);
      const { sha256: id } = await store.put(Readable.from([body]));
      const stream = await store.get(id);
      for await (const chunk of stream) {
        expect((chunk as Buffer).length).toBeGreaterThan(0);
        break;
      }
      expect(stream.destroyed).toBe(true);
      expect((await readAll(await store.get(id))).equals(body)).toBe(true);
    });
  });
}
