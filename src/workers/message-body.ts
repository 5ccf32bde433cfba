import { Readable } from 'node:stream';
import type { BodyRef } from '../domain/events/index.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { readBlobFully } from '../store/blob/blob-store.js';

/** Opens a message body wherever it lives: inline in its event, or in the blob store. */
export async function openBody(body: BodyRef, blobs: BlobStore): Promise<Readable> {
  if (body.kind === 'blob') return blobs.get(body.sha256);
  return Readable.from([Buffer.from(body.content, body.encoding)]);
}

export async function readBody(body: BodyRef, blobs: BlobStore, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
  if (body.kind === 'blob') return readBlobFully(blobs, body.sha256, { maxBytes });
  const bytes = Buffer.from(body.content, body.encoding);
  if (bytes.length > maxBytes) throw new Error(`body of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  return bytes;
}
