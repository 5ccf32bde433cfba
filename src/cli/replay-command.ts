import { Command, InvalidArgumentError } from 'commander';
import { viewsForQuery } from '../projections/operator-views.js';
import { configItems, findMessages, type MessageFilter } from '../projections/queries/index.js';
import { replayMessages } from '../workers/replay.js';
import { operatorActor } from './operator.js';
import { printJson, printTable } from './output.js';
import { progress } from './progress.js';
import { selectionFilter, withSelection, type SelectionOptions } from './query-options.js';
import { openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface ReplayOptions extends StoreAccessOptions, SelectionOptions {
  replayId: string;
  toPort?: string;
  message?: string[];
  dryRun: boolean;
  includeCopies: boolean;
  json: boolean;
}

/**
 * Every message the filter selects, oldest first, so copies go out in the order the originals
 * came. Copies made by earlier replays are left out unless asked for: replaying a time range
 * twice under new ids must not replay the first replay's copies too.
 */
function selectAll(db: Parameters<typeof findMessages>[0], filter: MessageFilter, includeCopies: boolean): string[] {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = findMessages(db, filter, { limit: 1000, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.filter((m) => includeCopies || m.replayOf === null).map((m) => m.messageId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids.reverse();
}

/**
 * `signalbox replay`: re-send recorded messages to their send ports or to another. A running
 * engine sends the copies; the same --replay-id run again sends nothing new.
 */
export function replayCommand(): Command {
  return withSelection(
    withStoreAccess(
      new Command('replay').description(
        're-send recorded messages (selected by location, port, status, time or property, or by id) to their port or --to-port',
      ),
    ),
  )
    .requiredOption('--replay-id <id>', 'names this replay: running it again sends nothing new')
    .option('--message <id...>', 'replay these messages (instead of, or besides, a selection)')
    .option('--to-port <name>', 'send the copies to this port instead of the ports the originals went to')
    .option('--dry-run', 'list what would be sent; write nothing', false)
    .option('--include-copies', 'also select copies made by earlier replays', false)
    .option('--json', 'print JSON', false)
    .action(async (options: ReplayOptions) => {
      const filter = selectionFilter(options);
      if (Object.keys(filter).length === 0 && !options.message?.length) {
        throw new InvalidArgumentError('select what to replay: --message, or at least one of the selection options');
      }
      const store = await openCommandStore(options);
      try {
        const views = await viewsForQuery(store, options.data, ['tracking', 'properties', 'config']);
        let ids: string[];
        let knownPorts: Set<string>;
        try {
          ids = [
            ...(options.message ?? []),
            ...(Object.keys(filter).length > 0 ? selectAll(views.db, filter, options.includeCopies) : []),
          ];
          knownPorts = new Set(
            configItems(views.db, { kind: 'send-port' })
              .filter((p) => p.enabled)
              .map((p) => p.name),
          );
        } finally {
          views.close();
        }
        const bar = progress(options.dryRun ? 'replay (dry run)' : 'replay', !options.json);
        const items = await replayMessages(store, {
          replayId: options.replayId,
          messageIds: [...new Set(ids)],
          ...(options.toPort === undefined ? {} : { toPort: options.toPort }),
          knownPorts,
          actor: operatorActor(),
          dryRun: options.dryRun,
          onProgress: (done, total) => bar.update(done, total),
        });
        bar.stop();
        if (options.json) {
          printJson(items);
        } else {
          printTable(items, ['original', 'port', 'copy', 'status']);
          const counts = new Map<string, number>();
          for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
          process.stdout.write(
            `${[...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'nothing selected'}\n`,
          );
        }
        if (items.some((i) => i.status === 'unknown-port' || i.status === 'not-found')) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
