import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { operatorProjections, operatorViewsFile, requireView } from '../projections/operator-views.js';
import { rebuildViews, type RebuildResult } from '../projections/rebuild.js';
import { openViewDatabase } from '../projections/view-database.js';
import { progress } from './progress.js';
import { openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface RebuildOptions extends StoreAccessOptions {
  json: boolean;
  name: string;
  threads?: number;
}

function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError('a whole number from 1 to 8');
  return n;
}

/**
 * `signalbox rebuild [view…]`: replays all history into fresh views and swaps them in. Operator
 * views live in `<data>/views.db`; `open-sends` is an instance's own (`<data>/views-<name>.db`).
 */
export function rebuildCommand(): Command {
  return withStoreAccess(
    new Command('rebuild')
      .description('replay all history into fresh views and swap them in atomically (default: every operator view)')
      .argument('[views...]', 'views to rebuild'),
  )
    .option('--name <name>', 'the instance whose open-sends view to rebuild', 'main')
    .option(
      '--threads <n>',
      'threads that build the tracking and property views in slices (SQLite store; default: cores, at most 4)',
      threadCount,
    )
    .option('--json', 'print one JSON object', false)
    .action(async (names: string[], options: RebuildOptions) => {
      const chosen = names.length > 0 ? names.map(requireView) : operatorProjections;
      const instanceViews = chosen.filter((v) => v.name === 'open-sends');
      const shared = chosen.filter((v) => v.name !== 'open-sends');
      const store = await openCommandStore(options);
      try {
        const results: RebuildResult[] = [];
        const groups = [
          { file: operatorViewsFile(options.data), views: shared },
          { file: join(options.data, `views-${options.name}.db`), views: instanceViews },
        ];
        for (const group of groups) {
          if (group.views.length === 0) continue;
          const db = openViewDatabase(group.file);
          const bar = progress(`rebuild ${group.views.map((v) => v.name).join(', ')}`, !options.json);
          try {
            results.push(
              await rebuildViews(store, db, group.views, {
                onProgress: ({ position, head }) => bar.update(Number(position), Number(head)),
                ...(options.threads === undefined ? {} : { threads: options.threads }),
              }),
            );
          } finally {
            bar.stop();
            db.close();
          }
        }
        print(results, options.json);
        const mismatch = results.flatMap((r) => r.views).filter((v) => v.liveChecksum && v.liveChecksum !== v.checksum);
        if (mismatch.length > 0) process.exitCode = 2;
      } finally {
        await store.close();
      }
    });
}

function print(results: readonly RebuildResult[], json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
    return;
  }
  for (const result of results) {
    for (const view of result.views) {
      const checksum =
        view.checksum === undefined
          ? 'no checksum (engines kept the live view moving: the copy caught up and was swapped under the write lock)'
          : `checksum ${view.checksum.slice(0, 16)} ${
              view.liveChecksum === undefined
                ? 'live view was behind: nothing to compare'
                : view.liveChecksum === view.checksum
                  ? 'equals the live view'
                  : `DIFFERS from the live view (${view.liveChecksum.slice(0, 16)})`
            }`;
      const rows = Object.entries(view.rows)
        .map(([table, n]) => `${table} ${n}`)
        .join(', ');
      process.stdout.write(
        `${view.view}: ${view.events} events to position ${result.position}, ${checksum}; ${rows}\n`,
      );
    }
    const threads = result.threads > 0 ? ` (${result.threads} threads)` : '';
    process.stdout.write(`read ${result.events} events in ${result.seconds.toFixed(2)} s${threads}\n`);
  }
}
