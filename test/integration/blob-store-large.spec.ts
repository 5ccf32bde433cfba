import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('blob-large');
afterAll(() => dir.cleanup());

const MiB = 1024 * 1024;
const BODY_BYTES = 256 * MiB;
const CHUNK_BYTES = 64 * 1024;
const MAX_RSS_GROWTH = 96 * MiB;

/**
 * A deterministic pseudo-random body (xorshift128), made one chunk at a time so the test itself
 * never holds more than a chunk; random bytes keep the disk and hash honest (no zero pages).
 */
async function* generatedBody(totalBytes: number, seed: number, onChunk: (chunk: Buffer) => void) {
  let x = seed >>> 0 || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123;
  for (let produced = 0; produced < totalBytes; produced += CHUNK_BYTES) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, totalBytes - produced));
    const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      const t = x ^ (x << 11);
      x = y;
      y = z;
      z = w;
      w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      words[i] = w;
    }
    onChunk(chunk);
    yield chunk;
  }
}

/** Samples RSS every 50 ms; `stop` returns the peak seen (a final sample included). */
function sampleRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const mb = (bytes: number) => (bytes / MiB).toFixed(1);

describe('LocalBlobStore with a large body', () => {
  it('streams 256 MiB through put and get in bounded memory', { timeout: 60_000 }, async () => {
    const store = await LocalBlobStore.open(join(dir.path, 'store'));
    const generated = createHash('sha256');
    const baseline = process.memoryUsage().rss;
    const rss = sampleRss();

    const putStarted = performance.now();
    const info = await store.put(generatedBody(BODY_BYTES, 0x5eed, (chunk) => generated.update(chunk)));
    const putMs = performance.now() - putStarted;

    const getStarted = performance.now();
    const readBack = createHash('sha256');
    let readBytes = 0;
    for await (const chunk of await store.get(info.sha256)) {
      readBack.update(chunk as Buffer);
      readBytes += (chunk as Buffer).length;
    }
    const getMs = performance.now() - getStarted;
    const peak = rss.stop();

    const expected = generated.digest('hex');
    expect(info).toEqual({ sha256: expected, size: BODY_BYTES });
    expect(readBytes).toBe(BODY_BYTES);
    expect(readBack.digest('hex')).toBe(expected);
    expect(await readdir(join(dir.path, 'store', 'tmp'))).toEqual([]);

    const growth = peak - baseline;
    console.log(
      `blob store, ${mb(BODY_BYTES)} MiB: put ${(putMs / 1000).toFixed(2)} s (${mb((BODY_BYTES / putMs) * 1000)} MiB/s,` +
        ` generation and fsync included), get ${(getMs / 1000).toFixed(2)} s (${mb((BODY_BYTES / getMs) * 1000)} MiB/s);` +
        ` RSS ${mb(baseline)} MiB before, peak ${mb(peak)} MiB, growth ${mb(growth)} MiB`,
    );
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
  });
});
