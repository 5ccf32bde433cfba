import type Database from 'better-sqlite3';

/**
 * Switches a file to WAL. Two processes opening the same new file at once can get SQLITE_BUSY
 * at once, without the busy handler (SQLite refuses to wait where waiting could deadlock): two
 * workers started together on a fresh data folder lost one of them so, about one start in ten.
 */
export function useWal(db: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 10);
    }
  }
}
