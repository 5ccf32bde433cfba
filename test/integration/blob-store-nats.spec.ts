import { Readable } from 'node:stream';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobCorrupt } from '../../src/store/blob/errors.js';
import { BlobStoreUnavailable } from '../../src/store/blob/nats-blob-errors.js';
import { NatsObjectBlobStore } from '../../src/store/blob/nats-object-blob-store.js';
import { chunkSubject, metaSubject, parseMeta, streamOf } from '../../src/store/blob/nats-object-layout.js';
import { blobStoreContract } from '../contract/blob-store.contract.js';
import { freePort, startNatsServer, type NatsTestServer } from '../support/nats-server.js';

let nats: NatsTestServer;
let admin: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer('blob-nats');
  admin = await connect({ servers: nats.url });
});
afterAll(async () => {
  await admin?.close();
  await nats?.stop();
});

/** Subjects holding messages in the bucket's stream, meta subjects of deleted objects left out. */
async function subjectsOf(bucket: string): Promise<string[]> {
  const jsm = await admin.jetstreamManager();
  const info = await jsm.streams.info(streamOf(bucket), { subjects_filter: '>' });
  const subjects = Object.keys(info.state.subjects ?? {});
  const live: string[] = [];
  for (const subject of subjects) {
    if (subject.startsWith(`$O.${bucket}.M.`)) {
      const meta = parseMeta((await jsm.streams.getMessage(streamOf(bucket), { last_by_subj: subject })).data);
      if (meta?.deleted) continue;
    }
    live.push(subject);
  }
  return live.sort();
}

let run = 0;
blobStoreContract('NATS JetStream object store', async () => {
  const bucket = `contract-${++run}`;
  const store = await NatsObjectBlobStore.connect({ servers: nats.url, bucket });
  return { store, listing: () => subjectsOf(bucket), cleanup: () => store.close() };
});

describe('NatsObjectBlobStore', () => {
  it('writes the object store layout, so `nats object` tools read what it stores', async () => {
    const store = await NatsObjectBlobStore.connect({ servers: nats.url, bucket: 'layout', chunkBytes: 1024 });
    try {
      const body = Buffer.from('x'.repeat(2500));
      const info = await store.put(Readable.from([body]));
      const os = await admin.jetstream().views.os('layout');
      const result = await os.get(info.sha256);
      expect(result?.info.size).toBe(2500);
      expect(result?.info.chunks).toBe(3);
      const chunks: Uint8Array[] = [];
      for await (const chunk of result!.data) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
      // nats.js checked the digest we wrote against the bytes (a mismatch errors the stream above).
      expect(await result!.error).toBeFalsy();
    } finally {
      await store.close();
    }
  });

  it('errors with BlobCorrupt when a stored chunk was altered', async () => {
    const store = await NatsObjectBlobStore.connect({ servers: nats.url, bucket: 'tamper', chunkBytes: 1024 });
    try {
      const body = Buffer.alloc(3000, 7);
      const { sha256 } = await store.put(Readable.from([body]));
      const jsm = await admin.jetstreamManager();
      const meta = parseMeta(
        (await jsm.streams.getMessage(streamOf('tamper'), { last_by_subj: metaSubject('tamper', sha256) })).data,
      )!;
      // Replace the chunks with other bytes of the same length under the same id.
      await jsm.streams.purge(streamOf('tamper'), { filter: chunkSubject('tamper', meta.nuid) });
      const js = admin.jetstream();
      for (const size of [1024, 1024, 952]) await js.publish(chunkSubject('tamper', meta.nuid), Buffer.alloc(size, 8));
      const read = async () => {
        for await (const chunk of await store.get(sha256)) void chunk;
      };
      await expect(read()).rejects.toBeInstanceOf(BlobCorrupt);
    } finally {
      await store.close();
    }
  });

  it('refuses to open with a clear, retryable error when no server answers', async () => {
    const port = await freePort();
    const error: unknown = await NatsObjectBlobStore.connect({
      servers: `nats://127.0.0.1:${port}`,
      requestTimeoutMs: 1_000,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BlobStoreUnavailable);
    expect((error as BlobStoreUnavailable).retryable).toBe(true);
  });
});
