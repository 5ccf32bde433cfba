import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll } from 'vitest';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { tempDir } from '../support/temp-dir.js';
import { blobStoreContract } from './blob-store.contract.js';

const dir = tempDir('blob-contract');
afterAll(() => dir.cleanup());

let run = 0;
blobStoreContract('local disk', async () => {
  const root = join(dir.path, `store-${++run}`);
  const store = await LocalBlobStore.open(root);
  return {
    store,
    async listing() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(root, join(entry.parentPath, entry.name)))
        .sort();
    },
    cleanup: () => Promise.resolve(),
  };
});
