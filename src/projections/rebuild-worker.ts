// One slice of a rebuild, in its own thread: reads its messages' events from the store's file and
// applies them to fresh copies of the views in its own side file. See `rebuild-partitions.ts`.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { messagePartition, openForReading, readPartitionPages } from '../store/sqlite/partition-pages.js';
import { mergeSlices, type MergeTable } from './rebuild-merge.js';
import type { PartitionReply, PartitionRequest, PartitionWork } from './rebuild-protocol.js';
import { SideFile } from './rebuild-side.js';
import { viewByName } from './views/index.js';

const work = workerData as PartitionWork;
const port = parentPort!;
const { index, count } = work.partition;
const projections = work.views.map((name) => viewByName(name)!);
const store = openForReading(work.storeFile);
const shared = new Set(work.partition.shared);
const side = new SideFile(work.sideFile, projections, {
  tables: work.tables,
  cacheMb: 128,
  owns: (messageId) => messagePartition(messageId, count) === index,
  // Every slice reads the shared events; the first one counts them.
  counted: (event) => index === 0 || (event.streamId.startsWith('message-') && !shared.has(event.type)),
});

function pass(after: bigint, upTo: bigint): void {
  let events = 0;
  for (const page of readPartitionPages(store, {
    after,
    upTo,
    partition: work.partition,
    pageSize: work.pageSize,
    ...(work.filter ? { filter: work.filter } : {}),
  })) {
    events += side.apply(page);
    reply({ type: 'progress', position: page[page.length - 1]!.position });
  }
  side.finish();
  reply({ type: 'passed', events, counts: Object.fromEntries(side.counts) });
}

function reply(message: PartitionReply): void {
  port.postMessage(message);
}

/** Merges a view's tables of every slice into its new own file (see `mergeSlices`). */
function merge(tables: readonly MergeTable[], files: readonly string[], into: string): void {
  const db = new Database(into);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // Room for the index sorts in memory.
    db.pragma('cache_size = -131072');
    const aliases = files.map((file, i) => {
      db.prepare(`ATTACH DATABASE ? AS slice${i}`).run(file);
      return `slice${i}`;
    });
    mergeSlices(db, tables, aliases);
    for (const alias of aliases) db.exec(`DETACH DATABASE ${alias}`);
    // The file becomes a live view's: read and written by engines beside each other.
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  reply({ type: 'merged' });
}

port.on('message', (request: PartitionRequest) => {
  try {
    if (request.type === 'pass') pass(request.after, request.upTo);
    else if (request.type === 'merge') merge(request.tables, request.files, request.into);
    else {
      side.db.close();
      store.close();
      port.close();
    }
  } catch (error) {
    const { message, stack } = error as Error;
    reply({ type: 'failed', message, ...(stack ? { stack } : {}) });
  }
});
reply({ type: 'ready' });
