import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Projection } from './runner.js';

/*
 * A view rebuilt in slices gets a file of its own beside the view file (`views.tracking.<id>.db`),
 * attached to every connection under `view_<name>`: queries name its tables as before, and SQLite
 * finds them there. A rebuild swaps such a view in by pointing `view_files` at the new file, one
 * row changed under the view file's write lock, however large the view: nothing is copied through
 * the write-ahead log, and engines feeding the views wait for a moment instead of for the copy.
 * Each connection re-attaches when `view_files_generation` moves (`syncViewFiles`).
 */

const SCHEMA = `CREATE TABLE IF NOT EXISTS view_files (view TEXT PRIMARY KEY, file TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS view_files_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
INSERT OR IGNORE INTO view_files_generation (id, generation) VALUES (1, 0);`;

const attached = new WeakMap<Database.Database, { generation: number; files: Map<string, string> }>();

/** Creates the bookkeeping tables if missing and attaches the views' own files. */
export function openViewFiles(db: Database.Database): void {
  if (!attached.has(db)) db.exec(SCHEMA);
  syncViewFiles(db);
}

/** The schema a view's own file is attached under. */
export function viewSchema(view: string): string {
  return `view_${view.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** The generation of `view_files`: it moves with every swap of a view's file. */
export function viewFilesGeneration(db: Database.Database): number {
  return db.prepare('SELECT generation FROM view_files_generation WHERE id = 1').pluck().get() as number;
}

/**
 * Attaches the files `view_files` names and detaches those it no longer does, when its
 * generation moved since this connection last looked; outside a transaction (SQLite cannot
 * attach inside one). Returns the generation the connection now follows.
 */
export function syncViewFiles(db: Database.Database): number {
  const generation = viewFilesGeneration(db);
  const state = attached.get(db) ?? { generation: -1, files: new Map<string, string>() };
  if (state.generation === generation) return generation;
  const wanted = new Map(
    (db.prepare('SELECT view, file FROM view_files').all() as { view: string; file: string }[]).map((r) => [
      r.view,
      join(dirname(db.name), r.file),
    ]),
  );
  for (const [view, file] of state.files) {
    if (wanted.get(view) === file) continue;
    db.exec(`DETACH DATABASE ${viewSchema(view)}`);
    state.files.delete(view);
  }
  for (const [view, file] of wanted) {
    if (state.files.has(view)) continue;
    db.prepare(`ATTACH DATABASE ? AS ${viewSchema(view)}`).run(file);
    state.files.set(view, file);
  }
  state.generation = generation;
  attached.set(db, state);
  return generation;
}

/** The name of the view's own file, when it has one (as `view_files` says now). */
export function viewFileOf(db: Database.Database, view: string): string | undefined {
  return db.prepare('SELECT file FROM view_files WHERE view = ?').pluck().get(view) as string | undefined;
}

/** Whether the view's tables are in a file of its own. */
export function hasOwnFile(db: Database.Database, view: string): boolean {
  return attached.get(db)?.files.has(view) ?? false;
}

/**
 * Runs `work` in an immediate transaction that sees the views' current files: a swap that
 * committed after this connection last attached them makes it re-attach and start over, so no
 * write ever lands in a file a rebuild replaced.
 */
export function inViewTransaction<T>(db: Database.Database, work: () => T): T {
  for (;;) {
    const generation = syncViewFiles(db);
    let moved = false;
    const result = db
      .transaction(() => {
        moved = viewFilesGeneration(db) !== generation;
        return moved ? undefined : work();
      })
      .immediate();
    if (!moved) return result as T;
  }
}

/** Creates the view's tables if missing, unless they live in a file of its own (made complete). */
export function setupView(db: Database.Database, projection: Projection): void {
  inViewTransaction(db, () => {
    if (!hasOwnFile(db, projection.name)) projection.setup(db);
  });
}

/** The name for a new file of a view, beside the view file. */
export function newViewFile(viewFile: string, view: string): string {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(viewFile), `${basename(viewFile, '.db')}.${view}.${id}.db`);
}

/**
 * Points the view at its new file, in the caller's transaction on the view file; the caller
 * bumps the generation once for all views it swaps (`bumpViewFilesGeneration`).
 */
export function recordViewFile(db: Database.Database, view: string, file: string): void {
  db.prepare(
    'INSERT INTO view_files (view, file) VALUES (?, ?) ON CONFLICT(view) DO UPDATE SET file = excluded.file',
  ).run(view, basename(file));
}

/** The view's tables are back in the view file itself (a rebuild that copied them there). */
export function forgetViewFile(db: Database.Database, view: string): void {
  db.prepare('DELETE FROM view_files WHERE view = ?').run(view);
}

export function bumpViewFilesGeneration(db: Database.Database): void {
  db.prepare('UPDATE view_files_generation SET generation = generation + 1 WHERE id = 1').run();
}

/**
 * Removes the files of these views that nothing points at any more, except `keep` (those just
 * replaced: a connection that has not looked since may still read them until its next query).
 */
export function removeStaleViewFiles(db: Database.Database, views: readonly string[], keep: ReadonlySet<string>): void {
  const folder = dirname(db.name);
  const live = new Set(db.prepare('SELECT file FROM view_files').pluck().all() as string[]);
  for (const view of views) {
    const own = `${basename(db.name, '.db')}.${view}.`;
    for (const name of readdirSync(folder)) {
      const file = name.replace(/-(wal|shm)$/, '');
      if (!file.startsWith(own) || !/^[0-9a-z]+\.db$/.test(file.slice(own.length))) continue;
      if (!live.has(file) && !keep.has(file)) rmSync(join(folder, name), { force: true });
    }
  }
}
