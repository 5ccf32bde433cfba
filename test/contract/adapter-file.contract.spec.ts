import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { adapterContract } from './adapter.contract.js';

const root = tempDir('file-contract');
afterAll(() => root.cleanup());
let fixtures = 0;

adapterContract('file', {
  adapter: 'file',
  redelivery: true,
  // Removing the folder removes the files in it: that loss is the operator's, not the adapter's,
  // so the folder goes away only once the first half has been received.
  restart: { midStream: false },
  largeBodyBytes: 3 * 1024 * 1024,
  async open() {
    const folder = join(root.path, `loc-${++fixtures}`, 'in');
    mkdirSync(folder, { recursive: true });
    return {
      receiveConfig: { folder, pollIntervalMs: 50, workFileGraceMs: 2_000 },
      sendConfig: { folder, fileName: '%MessageID%.dat' },
      remaining: async () => readdirSync(folder).length,
      async inject(bodies) {
        // Plain writes, not write-then-rename: the receiver's stability check must cope.
        bodies.forEach((body, i) => writeFileSync(join(folder, `injected ${i}.bin`), body));
      },
      async restartServer() {
        rmSync(folder, { recursive: true, force: true });
        await sleep(300);
        mkdirSync(folder, { recursive: true });
      },
      cleanup: async () => undefined,
    };
  },
  unreachable: () => ({
    receiveConfig: { folder: join(root.path, 'no-such-folder'), pollIntervalMs: 50 },
    sendConfig: { folder: join(root.path, 'no-such-folder') },
  }),
});
