import type Database from 'better-sqlite3';

export interface ClaimedRow {
  readonly seq: number;
  readonly payload: string;
  readonly delivery_count: number;
}

/** Every statement the local queue runs, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  const expireDedup = db.prepare<[string, number]>(
    'DELETE FROM work WHERE dedup_key = ? AND done = 1 AND published_at <= ?',
  );
  const insert = db.prepare<[string, string, number, number]>(
    `INSERT INTO work (dedup_key, payload, published_at, due_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (dedup_key) DO NOTHING`,
  );
  // The claim reads and writes in one statement, and runs inside BEGIN IMMEDIATE: the write lock
  // is taken before the read, so two processes can never pick the same rows, and a process never
  // has to upgrade a stale read snapshot (which fails with SQLITE_BUSY_SNAPSHOT, not a wait).
  const claim = db.prepare<{ now: number; until: number; owner: string; limit: number }, ClaimedRow>(
    `UPDATE work SET due_at = @until, lease_owner = @owner, delivery_count = delivery_count + 1
     WHERE seq IN (SELECT seq FROM work WHERE done = 0 AND due_at <= @now ORDER BY due_at, seq LIMIT @limit)
     RETURNING seq, payload, delivery_count`,
  );
  return {
    publish: db.transaction((key: string, payload: string, now: number, dueAt: number, windowStart: number) => {
      expireDedup.run(key, windowStart);
      return insert.run(key, payload, now, dueAt).changes === 1;
    }),
    claim: db.transaction((params: { now: number; until: number; owner: string; limit: number }) => claim.all(params)),
    nextDue: db.prepare<[], number | null>('SELECT min(due_at) FROM work WHERE done = 0').pluck(),
    ack: db.prepare<[number, string]>('UPDATE work SET done = 1, lease_owner = NULL WHERE seq = ? AND lease_owner = ?'),
    reschedule: db.prepare<[number, number, string]>(
      'UPDATE work SET due_at = ?, lease_owner = NULL WHERE seq = ? AND lease_owner = ?',
    ),
    extend: db.prepare<[number, number, string]>('UPDATE work SET due_at = ? WHERE seq = ? AND lease_owner = ?'),
    // Claimed but never handed to the caller: not a delivery, so it does not count as one.
    release: db.prepare<[number, number, string]>(
      `UPDATE work SET due_at = ?, lease_owner = NULL, delivery_count = delivery_count - 1
       WHERE seq = ? AND lease_owner = ?`,
    ),
    discard: db.prepare<[number]>('UPDATE work SET done = 1, lease_owner = NULL WHERE seq = ?'),
    purgeDone: db.prepare<[number]>('DELETE FROM work WHERE done = 1 AND published_at <= ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
