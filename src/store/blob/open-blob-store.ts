import { join } from 'node:path';
import type { BlobStore } from './blob-store.js';

export type BlobStoreKind = 'local' | 'nats';

export interface OpenBlobStoreOptions {
  readonly kind: BlobStoreKind;
  /** The local store lives in `<dataDir>/blobs`. */
  readonly dataDir: string;
  /** NATS servers (comma-separated URLs); required for `nats`. */
  readonly nats?: string;
  /** Replicas of the object store bucket (`nats` only). Default 1. */
  readonly replicas?: number;
}

export interface OpenedBlobStore {
  readonly store: BlobStore;
  close(): Promise<void>;
}

/**
 * Opens the blob store a host instance is configured for: local files (one machine, or a shared
 * disk) or the NATS JetStream object store (a cluster). NATS is loaded only when asked for.
 */
export async function openBlobStore(options: OpenBlobStoreOptions): Promise<OpenedBlobStore> {
  if (options.kind === 'nats') {
    if (!options.nats) throw new Error('blobs: nats needs the NATS servers (--nats)');
    const { NatsObjectBlobStore } = await import('./nats-object-blob-store.js');
    const store = await NatsObjectBlobStore.connect({
      servers: options.nats,
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
    });
    return { store, close: () => store.close() };
  }
  const { LocalBlobStore } = await import('./local-blob-store.js');
  const store = await LocalBlobStore.open(join(options.dataDir, 'blobs'));
  return { store, close: () => Promise.resolve() };
}
