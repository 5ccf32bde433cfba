import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../store/open-store.js';
import type { EventStore } from '../store/event-store.js';

export interface StoreAccessOptions {
  data: string;
  store?: string;
}

/** The options every command that reads history shares with `start` and `worker`. */
export function withStoreAccess(command: Command): Command {
  return command
    .option('--data <folder>', 'the data folder of the engine', 'data')
    .option('--store <location>', 'event store: a SQLite file (default <data>/signalbox.db), or esdb://…');
}

/** Opens an existing store: a mistyped --data must not quietly create an empty one. */
export function openCommandStore(options: StoreAccessOptions): Promise<EventStore> {
  const location = options.store ?? join(options.data, 'signalbox.db');
  const file = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (!/^[a-z+]+:\/\//.test(location) && !existsSync(file)) {
    return Promise.reject(new Error(`no event store at ${file} (give --data or --store)`));
  }
  return openStore(location);
}
