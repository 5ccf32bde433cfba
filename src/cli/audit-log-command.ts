import { Command } from 'commander';
import { viewsForQuery } from '../projections/operator-views.js';
import { auditLog } from '../projections/queries/index.js';
import { printJson, printTable } from './output.js';
import { time } from './query-options.js';
import { openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface AuditLogOptions extends StoreAccessOptions {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
  json: boolean;
}

/** `signalbox audit log`: who did what — every operator action with its actor, newest first. */
export function withAuditLog(audit: Command): Command {
  const log = withStoreAccess(new Command('log').description('every operator action with its actor, newest first'))
    .option('--actor <actor>', 'only this actor, e.g. user:alice')
    .option('--action <event>', 'only this action, e.g. MessageResumed, ConfigDefined')
    .option('--target <id>', 'only actions on this message id or kind/name')
    .option('--from <time>', 'at or after', time)
    .option('--to <time>', 'before', time)
    .option('--limit <n>', 'entries per page', (v) => Number(v), 100)
    .option('--cursor <cursor>', 'the next page')
    .option('--json', 'print JSON', false)
    .action(async (options: AuditLogOptions) => {
      const store = await openCommandStore(options);
      try {
        const views = await viewsForQuery(store, options.data, ['audit-log']);
        try {
          const page = auditLog(
            views.db,
            {
              ...(options.actor ? { actor: options.actor } : {}),
              ...(options.action ? { action: options.action } : {}),
              ...(options.target ? { target: options.target } : {}),
              ...(options.from ? { from: options.from } : {}),
              ...(options.to ? { before: options.to } : {}),
            },
            { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) },
          );
          if (options.json) return printJson(page);
          printTable(page.items, ['at', 'actor', 'action', 'targetKind', 'target']);
          if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
        } finally {
          views.close();
        }
      } finally {
        await store.close();
      }
    });
  return audit.addCommand(log);
}
