import type Database from 'better-sqlite3';
import { operatorProjections, operatorViewsFile } from '../../projections/operator-views.js';
import { ProjectionRunner, readCheckpoint } from '../../projections/runner.js';
import { openViewDatabase } from '../../projections/view-database.js';
import type { EventStore } from '../../store/event-store.js';
import type { Logger } from '../../workers/logger.js';

/**
 * The operator views of the data folder as this API node sees them: how far behind the store
 * each one is, and, when no engine in this process keeps them, a follower that does.
 */
export class ViewLag {
  private readonly db: Database.Database;

  constructor(
    private readonly store: EventStore,
    dataDir: string,
  ) {
    this.db = openViewDatabase(operatorViewsFile(dataDir));
  }

  /** Events each operator view is behind `head`. */
  lagAt(head: bigint): Record<string, number> {
    const lag: Record<string, number> = {};
    for (const view of operatorProjections) {
      const checkpoint = readCheckpoint(this.db, view.name);
      lag[view.name] = head > checkpoint ? Number(head - checkpoint) : 0;
    }
    return lag;
  }

  /** Keeps every operator view following the store until `signal` aborts; a failed runner is retried. */
  feed(signal: AbortSignal, logger: Logger): Promise<void[]> {
    return Promise.all(
      operatorProjections.map(async (projection) => {
        while (!signal.aborted) {
          try {
            await new ProjectionRunner(this.store, this.db, projection).run(signal);
          } catch (error) {
            if (signal.aborted) return;
            logger.warn({ view: projection.name, err: (error as Error).message }, 'view follower failed; retrying');
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        }
      }),
    );
  }

  close(): void {
    this.db.close();
  }
}
