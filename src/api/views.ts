import type Database from 'better-sqlite3';
import { viewsForQuery } from '../projections/operator-views.js';
import type { ApiContext } from './context.js';

/**
 * Runs a query on the operator views it names, caught up to the store's head first: an answer
 * reflects every event written before the request, whichever instance wrote it.
 */
export async function withViews<T>(
  context: ApiContext,
  names: readonly string[],
  work: (db: Database.Database) => T | Promise<T>,
): Promise<T> {
  const source = await viewsForQuery(context.store, context.dataDir, names);
  try {
    return await work(source.db);
  } finally {
    source.close();
  }
}
