import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/**
 * Host instances: each worker process that started, when it was last seen alive and whether it
 * recorded its stop. Heartbeat streams keep only their newest beat, and `last_seen` is the latest
 * beat applied, so a view rebuilt after trimming equals the one that followed every beat live.
 */
export const hostsView: Projection = {
  name: 'hosts',
  filter: {
    streamPrefixes: ['host-', 'hostbeat-'],
    eventTypes: ['HostInstanceStarted', 'HostInstanceStopped', 'HostInstanceAlive'],
  },
  tables: [{ name: 'host_instances', key: ['instance'] }],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS host_instances (
      instance TEXT NOT NULL PRIMARY KEY,
      host TEXT NOT NULL,
      pid INTEGER NOT NULL,
      hostname TEXT NOT NULL,
      version TEXT NOT NULL,
      started_at INTEGER NOT NULL,     -- ms since epoch
      heartbeat_ms INTEGER,            -- how often it beats; null for instances from before heartbeats
      last_seen INTEGER,               -- its latest heartbeat
      stopped_at INTEGER,
      stop_reason TEXT
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    apply(db, event);
  },
};

function apply(db: Database.Database, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  switch (event.type) {
    case 'HostInstanceStarted': {
      const { host, instance, pid, hostname, version } = event.data;
      prepared(
        db,
        `INSERT INTO host_instances (instance, host, pid, hostname, version, started_at, heartbeat_ms)
         VALUES (@instance, @host, @pid, @hostname, @version, @at, @heartbeatMs)
         ON CONFLICT(instance) DO NOTHING`,
      ).run({ instance, host, pid, hostname, version, at, heartbeatMs: event.data.heartbeatMs ?? null });
      return;
    }
    case 'HostInstanceAlive':
      prepared(db, 'UPDATE host_instances SET last_seen = max(coalesce(last_seen, 0), ?) WHERE instance = ?').run(
        at,
        event.data.instance,
      );
      return;
    case 'HostInstanceStopped':
      prepared(db, 'UPDATE host_instances SET stopped_at = ?, stop_reason = ? WHERE instance = ?').run(
        at,
        event.data.reason,
        event.data.instance,
      );
      return;
    default:
      return;
  }
}
