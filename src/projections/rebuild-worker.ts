// One slice of a rebuild, in its own thread: reads its messages' events from the store's file and
// applies them to fresh copies of the views in files of its own. See `rebuild-partitions.ts`.
import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { syncPath } from '../runtime/sync-path.js';
import { openForReading, ownsMessage, readPartitionPages } from '../store/sqlite/partition-pages.js';
import { appendSlices, type MergeTable } from './rebuild-merge.js';
import {
  followFile,
  type PartitionReply,
  type PartitionRequest,
  type PartitionWork,
  type SliceView,
} from './rebuild-protocol.js';
import { SideFile } from './rebuild-side.js';
import { viewByName } from './views/index.js';

const work = workerData as PartitionWork;
const port = parentPort!;
const projections = work.views.map((view) => viewByName(view.name)!);
const store = openForReading(work.storeFile);
const shared = new Set(work.partition.shared);
let partition = work.partition;
let side: SideFile | undefined = new SideFile(work.sideFile, projections, {
  tables: work.tables,
  viewFiles: work.views,
  cacheMb: 128,
  owns: (messageId) => ownsMessage(work.partition, messageId),
  // Every slice reads the shared events; the first one counts them.
  counted: (event) => partition.index === 0 || (event.streamId.startsWith('message-') && !shared.has(event.type)),
});

function pass(after: bigint, upTo: bigint): void {
  if (!side) throw new Error('this slice was merged: it has no views to apply events to');
  const building = side;
  let events = 0;
  building.pass(() => {
    for (const page of readPartitionPages(store, {
      after,
      upTo,
      partition,
      pageSize: work.pageSize,
      ...(work.filter ? { filter: work.filter } : {}),
    })) {
      events += building.apply(page);
      reply({ type: 'progress', position: page[page.length - 1]!.position });
    }
    building.finish();
  });
  reply({ type: 'passed', events, counts: Object.fromEntries(side.counts) });
}

function release(): void {
  side?.db.close();
  side = undefined;
  reply({ type: 'released' });
}

/** Appends the other slices' rows of a view to the first slice's file, which becomes the view's. */
function merge(tables: readonly MergeTable[], main: string, others: readonly string[], into: string): void {
  const db = new Database(main);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // Room for the index sorts in memory.
    db.pragma('cache_size = -131072');
    const aliases = others.map((file, i) => {
      db.prepare(`ATTACH DATABASE ? AS slice${i}`).run(file);
      return `slice${i}`;
    });
    appendSlices(db, tables, aliases);
    for (const alias of aliases) db.exec(`DETACH DATABASE ${alias}`);
    // The file becomes a live view's: read and written by engines beside each other.
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  // Written without a journal: on disk, under its new name, before the swap names it.
  syncPath(main);
  renameSync(main, into);
  syncPath(dirname(into));
  reply({ type: 'merged' });
}

/** Catches the merged views up with what the live ones applied since: every message, one thread. */
function follow(views: readonly SliceView[]): void {
  partition = { index: 0, count: 1, shared: partition.shared };
  side?.db.close();
  side = new SideFile(followFile(work.sideFile), projections, {
    tables: work.tables,
    viewFiles: views,
    existing: true,
    cacheMb: 32,
  });
  reply({ type: 'following' });
}

function reply(message: PartitionReply): void {
  port.postMessage(message);
}

port.on('message', (request: PartitionRequest) => {
  try {
    if (request.type === 'pass') pass(request.after, request.upTo);
    else if (request.type === 'release') release();
    else if (request.type === 'merge') merge(request.tables, request.main, request.others, request.into);
    else if (request.type === 'follow') follow(request.views);
    else {
      side?.db.close();
      store.close();
      port.close();
    }
  } catch (error) {
    const { message, stack } = error as Error;
    reply({ type: 'failed', message, ...(stack ? { stack } : {}) });
  }
});
reply({ type: 'ready' });
