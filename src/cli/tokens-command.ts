import { Command, InvalidArgumentError } from 'commander';
import { TokenRegistry } from '../api/tokens/token-registry.js';
import { tokenRoleSchema, type TokenRole } from '../domain/events/index.js';
import { operatorActor } from './operator.js';
import { printJson, printTable } from './output.js';
import type { EventStore } from '../store/event-store.js';
import { openCommandStore, openWritableStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

function role(value: string): TokenRole {
  const parsed = tokenRoleSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('viewer, operator or admin');
  return parsed.data;
}

function tokenName(value: string): string {
  if (!/^[A-Za-z0-9._@-]{1,100}$/.test(value)) throw new InvalidArgumentError('letters, digits, . _ @ - only');
  return value;
}

async function withTokens<T>(
  options: StoreAccessOptions,
  work: (tokens: TokenRegistry) => Promise<T>,
  open: (options: StoreAccessOptions) => Promise<EventStore> = openCommandStore,
): Promise<T> {
  const store = await open(options);
  try {
    return await work(new TokenRegistry(store));
  } finally {
    await store.close();
  }
}

/**
 * `signalbox tokens create|list|revoke`: API tokens, straight on the store, as the user running
 * the command (`user:<name>` in the audit log). `create` is how the first admin token is made.
 */
export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('API tokens: create (shown once), list, revoke');
  tokens.addCommand(
    withStoreAccess(new Command('create').description('issue a token and print it once'))
      .requiredOption('--name <name>', 'names the token; its actions are recorded as token:<name>', tokenName)
      .requiredOption('--role <role>', 'viewer, operator or admin', role)
      .option('--json', 'print JSON', false)
      .action(async (options: StoreAccessOptions & { name: string; role: TokenRole; json: boolean }) => {
        // The first admin token is made before anything else: on a fresh data folder too.
        const { info, token } = await withTokens(
          options,
          (registry) => registry.issue(options.name, options.role, operatorActor()),
          openWritableStore,
        );
        if (options.json) return printJson({ ...info, token });
        process.stdout.write(`${token}\n`);
        process.stderr.write(`token ${info.id} "${info.name}" (${info.role}): shown once, store it now\n`);
      }),
  );
  tokens.addCommand(
    withStoreAccess(new Command('list').description('every token issued (never the tokens themselves)'))
      .option('--json', 'print JSON', false)
      .action(async (options: StoreAccessOptions & { json: boolean }) => {
        const list = await withTokens(options, (registry) => registry.list());
        if (options.json) return printJson(list);
        printTable(list, ['id', 'name', 'role', 'createdAt', 'createdBy', 'revokedAt']);
      }),
  );
  tokens.addCommand(
    withStoreAccess(new Command('revoke').description('revoke a token by its id'))
      .argument('<id>', 'the token id (from tokens list)')
      .action(async (id: string, options: StoreAccessOptions) => {
        const info = await withTokens(options, (registry) => registry.revoke(id, operatorActor()));
        process.stdout.write(`revoked ${info.id} "${info.name}"\n`);
      }),
  );
  return tokens;
}
