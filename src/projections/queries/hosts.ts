import type Database from 'better-sqlite3';
import { prepared } from '../views/statements.js';
import { isoTime, isoTimeOrNull } from './page.js';

/** Heartbeats an instance may miss before it is taken for lost. */
export const LOST_AFTER_MISSED_BEATS = 3;

export interface HostInstanceState {
  readonly host: string;
  readonly instance: string;
  readonly pid: number;
  readonly hostname: string;
  readonly version: string;
  readonly startedAt: string;
  /**
   * `stopped` once it recorded its stop; `lost` when it did not and its latest sign of life (a
   * heartbeat, or its start) is older than three heartbeats: killed, hung or cut off from the store.
   * An instance from before heartbeats stays `started` until it stops.
   */
  readonly state: 'started' | 'lost' | 'stopped';
  readonly lastSeenAt: string | null;
  readonly heartbeatMs: number | null;
  readonly stoppedAt: string | null;
  readonly stopReason: string | null;
}

interface HostRow {
  instance: string;
  host: string;
  pid: number;
  hostname: string;
  version: string;
  started_at: number;
  heartbeat_ms: number | null;
  last_seen: number | null;
  stopped_at: number | null;
  stop_reason: string | null;
}

/**
 * Every host instance that ever started, newest start first, judged alive or lost at `now`.
 * Without `now` (a view as of a past time) none is judged lost: heartbeat streams keep only their
 * newest beat, so the beats around a past time are gone.
 */
export function hostInstances(db: Database.Database, now?: Date): HostInstanceState[] {
  const rows = prepared(db, 'SELECT * FROM host_instances ORDER BY started_at DESC, instance').all() as HostRow[];
  return rows.map((row) => ({
    host: row.host,
    instance: row.instance,
    pid: row.pid,
    hostname: row.hostname,
    version: row.version,
    startedAt: isoTime(row.started_at),
    state: stateOf(row, now?.getTime()),
    lastSeenAt: isoTimeOrNull(row.last_seen),
    heartbeatMs: row.heartbeat_ms,
    stoppedAt: isoTimeOrNull(row.stopped_at),
    stopReason: row.stop_reason,
  }));
}

function stateOf(row: HostRow, now: number | undefined): HostInstanceState['state'] {
  if (row.stopped_at !== null) return 'stopped';
  if (row.heartbeat_ms === null || now === undefined) return 'started';
  const seen = Math.max(row.started_at, row.last_seen ?? 0);
  return now - seen > LOST_AFTER_MISSED_BEATS * row.heartbeat_ms ? 'lost' : 'started';
}
