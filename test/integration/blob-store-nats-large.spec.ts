import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsObjectBlobStore } from '../../src/store/blob/nats-object-blob-store.js';
import { startNatsServer, type NatsTestServer } from '../support/nats-server.js';

const MiB = 1024 * 1024;
const BODY_BYTES = 128 * MiB;
const CHUNK_BYTES = 64 * 1024;
/** Chunks in flight while writing and one chunk at a time while reading: far below the body. */
const MAX_RSS_GROWTH = 96 * MiB;

let nats: NatsTestServer;
beforeAll(async () => {
  nats = await startNatsServer('blob-nats-large');
});
afterAll(async () => {
  await nats?.stop();
});

/** A deterministic pseudo-random body (xorshift), made one chunk at a time. */
async function* generatedBody(totalBytes: number, onChunk: (chunk: Buffer) => void) {
  let x = 0x5eed;
  for (let produced = 0; produced < totalBytes; produced += CHUNK_BYTES) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, totalBytes - produced));
    const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    onChunk(chunk);
    yield chunk;
  }
}

const mb = (bytes: number) => (bytes / MiB).toFixed(1);

describe('NatsObjectBlobStore with a large body', () => {
  it('streams 128 MiB through put and get in bounded memory', { timeout: 180_000 }, async () => {
    const store = await NatsObjectBlobStore.connect({ servers: nats.url, bucket: 'large' });
    try {
      const generated = createHash('sha256');
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

      const putStarted = performance.now();
      const info = await store.put(generatedBody(BODY_BYTES, (chunk) => generated.update(chunk)));
      const putMs = performance.now() - putStarted;
      const getStarted = performance.now();
      const readBack = createHash('sha256');
      let readBytes = 0;
      for await (const chunk of await store.get(info.sha256)) {
        readBack.update(chunk as Buffer);
        readBytes += (chunk as Buffer).length;
      }
      const getMs = performance.now() - getStarted;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);

      const expected = generated.digest('hex');
      expect(info).toEqual({ sha256: expected, size: BODY_BYTES });
      expect(readBytes).toBe(BODY_BYTES);
      expect(readBack.digest('hex')).toBe(expected);
      console.log(
        `NATS object blob store, ${mb(BODY_BYTES)} MiB: put ${(putMs / 1000).toFixed(2)} s` +
          ` (${mb((BODY_BYTES / putMs) * 1000)} MiB/s), get ${(getMs / 1000).toFixed(2)} s` +
          ` (${mb((BODY_BYTES / getMs) * 1000)} MiB/s); RSS growth ${mb(peak - baseline)} MiB`,
      );
      expect(peak - baseline).toBeLessThan(MAX_RSS_GROWTH);
    } finally {
      await store.close();
    }
  });
});
