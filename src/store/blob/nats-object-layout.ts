/**
 * The layout of a NATS JetStream object store bucket, as nats.js and the `nats object` CLI write
 * it: stream `OBJ_<bucket>`, chunks on `$O.<bucket>.C.<nuid>`, and the object's description
 * (rolled up, one per name) on `$O.<bucket>.M.<base64url name>`. Writing the same layout keeps
 * operators' tools working on the blobs Signalbox stores.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly bucket: string;
  readonly nuid: string;
  readonly size: number;
  readonly chunks: number;
  readonly mtime: string;
  /** `SHA-256=<base64url of the hash, padded>`. */
  readonly digest: string;
  readonly deleted?: boolean;
  readonly options?: { readonly max_chunk_size?: number };
}

export const streamOf = (bucket: string) => `OBJ_${bucket}`;
export const chunkSubject = (bucket: string, nuid: string) => `$O.${bucket}.C.${nuid}`;
export const metaSubject = (bucket: string, name: string) => `$O.${bucket}.M.${base64UrlPadded(Buffer.from(name))}`;

export function base64UrlPadded(bytes: Buffer): string {
  const unpadded = bytes.toString('base64url');
  return unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
}

export function digestOf(sha256Hex: string): string {
  return `SHA-256=${base64UrlPadded(Buffer.from(sha256Hex, 'hex'))}`;
}

/** Reads a stored description; anything else (another tool's junk) counts as no object. */
export function parseMeta(data: Uint8Array): ObjectMeta | undefined {
  try {
    const meta = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<ObjectMeta>;
    if (typeof meta.nuid !== 'string' || typeof meta.size !== 'number' || typeof meta.chunks !== 'number') {
      return undefined;
    }
    return meta as ObjectMeta;
  } catch {
    return undefined;
  }
}
