import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { EventStore } from '../store/event-store.js';
import { buildViewAsOf } from './as-of.js';
import { ProjectionRunner, type Projection } from './runner.js';
import { openViewDatabase } from './view-database.js';
import { allViews, viewByName } from './views/index.js';

/** The views operators query; open-sends is the dispatcher's own and stays per instance. */
export const operatorProjections: readonly Projection[] = allViews.filter((v) => v.name !== 'open-sends');

/** The view of that name; an unknown name is refused with the names there are. */
export function requireView(name: string): Projection {
  const view = viewByName(name);
  if (!view) throw new Error(`no view "${name}"; the views are ${allViews.map((v) => v.name).join(', ')}`);
  return view;
}

/** Operator views live in one file per data folder; engines and commands all feed it. */
export function operatorViewsFile(dataDir: string): string {
  return join(dataDir, 'views.db');
}

export interface ViewSource {
  readonly db: Database.Database;
  /** The newest position the answer reflects. */
  readonly position: bigint;
  close(): void;
}

/**
 * The views a query needs, current: opened from the data folder's view file and caught up to
 * the store's head first (an engine may be feeding them too, or none may be running). With
 * `asOf`, built instead from the history recorded up to that time, in memory.
 */
export async function viewsForQuery(
  store: EventStore,
  dataDir: string,
  names: readonly string[],
  asOf?: Date,
): Promise<ViewSource> {
  const projections = names.map(requireView);
  if (asOf) {
    const built = await buildViewAsOf(store, projections, asOf);
    return { db: built.db, position: built.position, close: () => built.db.close() };
  }
  const db = openViewDatabase(operatorViewsFile(dataDir));
  try {
    const head = await store.headPosition();
    for (const projection of projections) await new ProjectionRunner(store, db, projection).catchUp({ position: head });
    return { db, position: head, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}
