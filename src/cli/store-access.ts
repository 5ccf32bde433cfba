import { existsSync, mkdirSync } from 'node:fs';
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

function storeLocation(options: StoreAccessOptions): string {
  return options.store ?? join(options.data, 'signalbox.db');
}

/**
 * The SQLite file the options name, which must exist (a mistyped --data must not quietly create
 * an empty store); undefined when they name a server (`esdb://…`).
 */
export function existingSqliteFile(options: StoreAccessOptions): string | undefined {
  const location = storeLocation(options);
  if (/^[a-z+]+:\/\//.test(location)) return undefined;
  const file = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (!existsSync(file)) throw new Error(`no event store at ${file} (give --data or --store)`);
  return file;
}

/** Opens an existing store. */
export async function openCommandStore(options: StoreAccessOptions): Promise<EventStore> {
  existingSqliteFile(options);
  return openStore(storeLocation(options));
}

/**
 * A store a writing command may create (a fresh data folder: `tokens create` before the first
 * start, `bindings import`, `secrets set`); reading commands need an existing one.
 */
export async function openWritableStore(options: StoreAccessOptions): Promise<EventStore> {
  if (options.store === undefined) mkdirSync(options.data, { recursive: true });
  return openStore(storeLocation(options));
}
