import { Command, InvalidArgumentError } from 'commander';
import { viewsForQuery, type ViewSource } from '../projections/operator-views.js';
import {
  configItems,
  currentLeases,
  findMessages,
  getMessage,
  groupSuspended,
  hostInstances,
  leaseHistory,
  listSuspended,
  portCounts,
} from '../projections/queries/index.js';
import type { EventStore } from '../store/event-store.js';
import { printJson, printTable } from './output.js';
import { selectionFilter, time, withSelection, type SelectionOptions } from './query-options.js';
import { openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface QueryOptions extends StoreAccessOptions {
  json: boolean;
  asOf?: Date;
}

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return n;
}

/** A read-only command over the operator views, current or `--as-of` a time. */
function queryCommand(name: string, description: string): Command {
  return withStoreAccess(new Command(name).description(description))
    .option('--as-of <time>', 'answer from the history recorded up to this time', time)
    .option('--json', 'print JSON', false);
}

async function withViews<T>(
  options: QueryOptions,
  views: readonly string[],
  work: (source: ViewSource, store: EventStore) => T | Promise<T>,
): Promise<T> {
  const store = await openCommandStore(options);
  try {
    const source = await viewsForQuery(store, options.data, views, options.asOf);
    try {
      return await work(source, store);
    } finally {
      source.close();
    }
  } finally {
    await store.close();
  }
}

function messagesCommand(): Command {
  return withSelection(queryCommand('messages', 'find tracked messages (newest first)'))
    .option('--limit <n>', 'messages per page', limit, 50)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .action(async (options: QueryOptions & SelectionOptions & { limit: number; cursor?: string }) => {
      const filter = selectionFilter(options);
      await withViews(options, ['tracking', 'properties'], ({ db }) => {
        const page = findMessages(db, filter, {
          limit: options.limit,
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        if (options.json) return printJson(page);
        printTable(
          page.items.map((m) => ({ ...m, lastError: m.lastError?.code ?? null })),
          ['messageId', 'status', 'receiveLocation', 'receivedAt', 'attempts', 'lastError'],
        );
        if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
      });
    });
}

function messageCommand(): Command {
  return queryCommand('message', 'one message: its status, sends, flow and context')
    .argument('<id>', 'message id')
    .action(async (id: string, options: QueryOptions) => {
      await withViews(options, ['tracking'], async ({ db }, store) => {
        const detail = getMessage(db, id);
        if (!detail) {
          process.stderr.write(`signalbox: no message ${id}\n`);
          process.exitCode = 1;
          return;
        }
        const received = (await store.readStream(`message-${id}`)).find((e) => e.type === 'MessageReceived');
        const context = received?.type === 'MessageReceived' ? received.data.context : undefined;
        if (options.json) return printJson({ ...detail, context });
        const m = detail.message;
        process.stdout.write(
          `${m.messageId}  ${m.status}  from ${m.receiveLocation} (${m.adapter}) at ${m.receivedAt}\n`,
        );
        if (m.replayOf) process.stdout.write(`replay ${m.replayId} of ${m.replayOf}\n`);
        process.stdout.write('\nsends\n');
        printTable(
          detail.ports.map((p) => ({
            ...p,
            lastError: p.lastError ? `${p.lastError.code}: ${p.lastError.message}` : null,
          })),
          ['port', 'status', 'attempts', 'transport', 'sentAt', 'lastError'],
        );
        process.stdout.write('\nflow\n');
        printTable(detail.timeline, ['at', 'step', 'port', 'detail']);
        if (context) {
          process.stdout.write('\ncontext\n');
          printTable(
            [
              ...Object.entries(context.promoted).map(([name, value]) => ({ name, value, promoted: 'yes' })),
              ...Object.entries(context.written).map(([name, value]) => ({ name, value, promoted: 'no' })),
            ],
            ['name', 'value', 'promoted'],
          );
        }
      });
    });
}

const groupings = { error: 'errorCode', port: 'port', location: 'receiveLocation', stage: 'stage' } as const;

function suspendedCommand(): Command {
  return queryCommand('suspended', 'suspended messages, grouped as Group Hub does, or listed')
    .option('--by <grouping>', 'group by error, port, location or stage', 'error')
    .option('--list', 'list the suspended messages instead of grouping them', false)
    .option('--error <code>', 'with --list: only this error code')
    .option('--limit <n>', 'with --list: items per page', limit, 50)
    .action(async (options: QueryOptions & { by: string; list: boolean; error?: string; limit: number }) => {
      const by = groupings[options.by as keyof typeof groupings];
      if (!by) throw new InvalidArgumentError(`--by must be one of ${Object.keys(groupings).join(', ')}`);
      await withViews(options, ['suspended'], ({ db }) => {
        if (options.list) {
          const page = listSuspended(db, options.error ? { errorCode: options.error } : {}, { limit: options.limit });
          if (options.json) return printJson(page);
          return printTable(
            page.items.map((s) => ({ ...s, error: `${s.error.code}: ${s.error.message}` })),
            ['messageId', 'port', 'stage', 'suspendedAt', 'error'],
          );
        }
        const groups = groupSuspended(db, by);
        if (options.json) return printJson(groups);
        printTable(groups, ['key', 'count', 'oldestAt', 'newestAt']);
      });
    });
}

function portsCommand(): Command {
  return queryCommand('ports', 'per send port: how many sends are in each status').action(
    async (options: QueryOptions) => {
      await withViews(options, ['tracking'], ({ db }) => {
        const counts = portCounts(db);
        if (options.json) return printJson(counts);
        printTable(counts, ['port', 'routed', 'pending', 'sending', 'retrying', 'sent', 'suspended', 'terminated']);
      });
    },
  );
}

function configCommand(): Command {
  return queryCommand('config', 'the configuration live now, or --as-of a time').action(
    async (options: QueryOptions) => {
      await withViews(options, ['config'], ({ db }) => {
        const items = configItems(db);
        if (options.json) return printJson(items);
        printTable(items, ['kind', 'name', 'enabled', 'definedAt', 'definedBy']);
      });
    },
  );
}

function leasesCommand(): Command {
  return queryCommand('leases', 'who holds each lease; with --history, every change of one lease')
    .option('--history <resource>', 'every acquisition, takeover and release of this lease')
    .option('--limit <n>', 'with --history: changes per page', limit, 100)
    .action(async (options: QueryOptions & { history?: string; limit: number }) => {
      await withViews(options, ['leases'], ({ db }) => {
        if (options.history) {
          const page = leaseHistory(db, options.history, { limit: options.limit });
          if (options.json) return printJson(page);
          return printTable(page.items, ['at', 'event', 'term', 'holder', 'previousHolder', 'reason']);
        }
        const leases = currentLeases(db);
        if (options.json) return printJson(leases);
        printTable(leases, ['resource', 'holder', 'term', 'released', 'since', 'lastRenewal']);
      });
    });
}

function hostsCommand(): Command {
  return queryCommand(
    'hosts',
    'every host instance: started, lost (no heartbeat for three intervals) or stopped; --as-of judges none lost',
  ).action(async (options: QueryOptions) => {
    await withViews(options, ['hosts'], ({ db }) => {
      const instances = hostInstances(db, options.asOf ? undefined : new Date());
      if (options.json) return printJson(instances);
      printTable(instances, ['host', 'instance', 'state', 'startedAt', 'lastSeenAt', 'stoppedAt', 'stopReason']);
    });
  });
}

/** The commands that read the operator views. */
export function queryCommands(): Command[] {
  return [
    messagesCommand(),
    messageCommand(),
    suspendedCommand(),
    portsCommand(),
    configCommand(),
    leasesCommand(),
    hostsCommand(),
  ];
}
