import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BodyRef } from '../../domain/events/index.js';
import type { BlobStore } from '../../store/blob/blob-store.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bodies up to `inlineLimit` bytes travel inside their event (as text when they are valid UTF-8);
 * larger ones go to the blob store and the event carries their sha256 (claim check).
 */
export async function storeBody(bytes: Buffer, blobs: BlobStore, inlineLimit: number): Promise<BodyRef> {
  if (bytes.length > inlineLimit) {
    const { sha256, size } = await blobs.put(Readable.from([bytes]));
    return { kind: 'blob', sha256, size };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    return { kind: 'inline', encoding: 'utf8', content: utf8.decode(bytes), size: bytes.length, sha256 };
  } catch {
    return { kind: 'inline', encoding: 'base64', content: bytes.toString('base64'), size: bytes.length, sha256 };
  }
}
