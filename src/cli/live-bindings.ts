import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBindings, type Bindings } from '../domain/config/index.js';
import { openStore } from '../store/open-store.js';
import { exportBindings } from '../workers/config/bindings-io.js';

/**
 * The configuration live in the store (the latest configuration events), or undefined when the
 * store holds none: an instance started without `--config` runs what was imported, so a cluster's
 * workers need no bindings file of their own.
 */
export async function liveBindings(dataDir: string, storeLocation: string | undefined): Promise<Bindings | undefined> {
  mkdirSync(dataDir, { recursive: true });
  const store = await openStore(storeLocation ?? join(dataDir, 'signalbox.db'));
  try {
    const live = await exportBindings(store);
    if (live.receiveLocations.length === 0 && live.sendPorts.length === 0) return undefined;
    return parseBindings(live, 'the live configuration in the store');
  } finally {
    await store.close();
  }
}
