import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../store/event-store.js';
import type { Projection } from '../runner.js';
import { prepared } from './statements.js';

/**
 * Leases and failover history: the current holder of every lease resource, and every change of
 * hands (acquired, taken over, released) with its reason.
 *
 * Lease streams keep only their newest events (`maxCount`), so the current row follows from the
 * latest lease events alone (every lease event names its holder and term), and everything that
 * must outlive trimming comes from `leaselog-{resource}`, where the holder copies each change of
 * hands and which is never trimmed: the history, and `since` (when the term began). That way a
 * view rebuilt after trimming equals the one that followed the events live. Events of an older
 * term than the row's are ignored.
 */
export const leasesView: Projection = {
  name: 'leases',
  filter: {
    streamPrefixes: ['lease-', 'leaselog-'],
    eventTypes: ['LeaseAcquired', 'LeaseRenewed', 'LeaseReleased', 'LeaseTakenOver'],
  },
  tables: [
    { name: 'leases', key: ['resource'] },
    { name: 'lease_history', key: ['resource', 'position'] },
  ],
  setup(db) {
    db.exec(`CREATE TABLE IF NOT EXISTS leases (
      resource TEXT NOT NULL PRIMARY KEY,
      holder TEXT NOT NULL,            -- the holder, or the last one when released
      term INTEGER NOT NULL,
      released INTEGER NOT NULL,       -- 0 held, 1 released
      since INTEGER,                   -- ms since epoch: the term's acquisition or takeover, if seen
      last_renewal INTEGER,            -- the latest acquisition, takeover or renewal seen
      ttl_ms INTEGER,
      released_at INTEGER,
      release_reason TEXT,
      position INTEGER NOT NULL        -- of the latest event applied
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS lease_history (
      resource TEXT NOT NULL,
      position INTEGER NOT NULL,
      term INTEGER NOT NULL,
      at INTEGER NOT NULL,
      event TEXT NOT NULL,             -- acquired | taken-over | released
      holder TEXT NOT NULL,
      previous_holder TEXT,            -- taken-over: who had it
      reason TEXT,                     -- taken-over: expired | released | dependency_unhealthy; released: why
      PRIMARY KEY (resource, position)
    ) WITHOUT ROWID`);
  },
  apply(db, event) {
    apply(db, event);
  },
};

function apply(db: Database.Database, event: RecordedEvent): void {
  const at = event.recordedAt.getTime();
  const position = Number(event.position);
  if (event.streamId.startsWith('leaselog-')) return logged(db, event, at, position);
  switch (event.type) {
    case 'LeaseAcquired':
    case 'LeaseTakenOver':
    case 'LeaseRenewed': {
      const { resource, holder, term } = event.data;
      const ttlMs = event.data.ttlMs ?? null;
      prepared(
        db,
        `INSERT INTO leases (resource, holder, term, released, since, last_renewal, ttl_ms, position)
         VALUES (@resource, @holder, @term, 0, (${SINCE}), @at, @ttlMs, @position)
         ON CONFLICT(resource) DO UPDATE SET holder = @holder, released = 0,
           since = CASE WHEN term = @term THEN since ELSE (${SINCE}) END, term = @term,
           last_renewal = @at, ttl_ms = coalesce(@ttlMs, ttl_ms), released_at = NULL, release_reason = NULL,
           position = @position
         WHERE term <= @term`,
      ).run({ resource, holder, term, at, ttlMs, position });
      return;
    }
    case 'LeaseReleased': {
      const { resource, holder, term, reason } = event.data;
      prepared(
        db,
        `INSERT INTO leases (resource, holder, term, released, since, last_renewal, released_at, release_reason,
           position)
         VALUES (@resource, @holder, @term, 1, (${SINCE}), NULL, @at, @reason, @position)
         ON CONFLICT(resource) DO UPDATE SET
           since = CASE WHEN term = @term THEN since ELSE (${SINCE}) END,
           holder = @holder, term = @term, released = 1, released_at = @at, release_reason = @reason,
           position = @position
         WHERE term <= @term`,
      ).run({ resource, holder, term, at, reason, position });
      return;
    }
    default:
      return;
  }
}

/** When a term began, as the log recorded it (null when the log never got that change). */
const SINCE = `SELECT at FROM lease_history WHERE resource = @resource AND term = @term
  AND event IN ('acquired', 'taken-over') ORDER BY position LIMIT 1`;

/** A change of hands copied to the lease's log: its history entry, and the start of its term. */
function logged(db: Database.Database, event: RecordedEvent, at: number, position: number): void {
  switch (event.type) {
    case 'LeaseAcquired':
    case 'LeaseTakenOver': {
      const { resource, holder, term } = event.data;
      const takenOver = event.type === 'LeaseTakenOver' ? event.data : undefined;
      history(db, resource, position, term, at, takenOver ? 'taken-over' : 'acquired', holder, takenOver);
      prepared(db, 'UPDATE leases SET since = ? WHERE resource = ? AND term = ? AND since IS NULL').run(
        at,
        resource,
        term,
      );
      return;
    }
    case 'LeaseReleased': {
      const { resource, holder, term, reason } = event.data;
      history(db, resource, position, term, at, 'released', holder, { reason });
      return;
    }
    default:
      return;
  }
}

function history(
  db: Database.Database,
  resource: string,
  position: number,
  term: number,
  at: number,
  kind: 'acquired' | 'taken-over' | 'released',
  holder: string,
  extra: { previousHolder?: string; reason?: string } | undefined,
): void {
  prepared(
    db,
    `INSERT INTO lease_history (resource, position, term, at, event, holder, previous_holder, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  ).run(resource, position, term, at, kind, holder, extra?.previousHolder ?? null, extra?.reason ?? null);
}
