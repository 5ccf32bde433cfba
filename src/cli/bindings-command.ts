import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { parse, stringify } from 'yaml';
import { defaultRegistry } from '../adapters/index.js';
import { SchemaViolation } from '../domain/errors.js';
import { exportBindings, importBindings, type ConfigDiffEntry } from '../workers/config/bindings-io.js';
import { missingSecrets } from '../workers/config/secret-references.js';
import { SecretStore } from '../workers/secrets/secret-store.js';
import { operatorActor } from './operator.js';
import { printJson } from './output.js';
import { progress } from './progress.js';
import { openCommandStore, openWritableStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

/**
 * Exit codes scripts can rely on: 0 done, 1 refused (invalid input, a conflict), 2 wrong usage
 * (an unknown option, a missing argument, a file that cannot be read). Commander's own errors
 * are usage errors; it exits 1 for them unless told otherwise.
 */
export function withUsageExit(command: Command): Command {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  for (const sub of command.commands) withUsageExit(sub);
  return command;
}

/** Prints a refusal with every bad field on its own line and sets exit code 1. */
export function reportInvalid(error: SchemaViolation): void {
  process.stderr.write(`signalbox: ${error.subject} is invalid (nothing was written):\n`);
  for (const issue of error.issues) process.stderr.write(`  ${issue.path || '(root)'}: ${issue.message}\n`);
  process.exitCode = 1;
}

interface ExportOptions extends StoreAccessOptions {
  out?: string;
  format?: 'yaml' | 'json';
}

interface ImportOptions extends StoreAccessOptions {
  dryRun: boolean;
  json: boolean;
}

const marks = { added: '+', changed: '~', removed: '-' } as const;

function printDiff(diff: readonly ConfigDiffEntry[], dryRun: boolean): void {
  for (const entry of diff) {
    const fields = entry.fields?.length ? ` (${entry.fields.join(', ')})` : '';
    process.stdout.write(`${marks[entry.change]} ${entry.kind}/${entry.name}${fields}\n`);
  }
  const count = (change: ConfigDiffEntry['change']) => diff.filter((d) => d.change === change).length;
  const summary =
    diff.length === 0
      ? 'no changes: the store already has this configuration'
      : `${diff.length} change${diff.length === 1 ? '' : 's'}: ${count('added')} added, ${count('changed')} changed, ${count('removed')} removed`;
  process.stdout.write(`${summary}${dryRun ? ' (dry run: nothing written)' : ''}\n`);
}

/** `signalbox bindings export | import` (docs/configuration.md). */
export function bindingsCommand(): Command {
  const bindings = new Command('bindings').description(
    'the live configuration as a bindings file: export it, or import one (docs/configuration.md)',
  );
  withStoreAccess(
    bindings.command('export').description('write the live configuration (as of the latest configuration events)'),
  )
    .option('--out <file>', 'write to this file instead of stdout')
    .addOption(
      new Option('--format <format>', 'yaml or json; default: from the --out file name, else yaml').choices([
        'yaml',
        'json',
      ]),
    )
    .action(async (options: ExportOptions) => {
      const store = await openCommandStore(options);
      try {
        const live = await exportBindings(store);
        const format = options.format ?? (options.out?.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
        const text = format === 'json' ? `${JSON.stringify(live, null, 2)}\n` : stringify(live);
        if (options.out) writeFileSync(options.out, text);
        else process.stdout.write(text);
      } finally {
        await store.close();
      }
    });
  withStoreAccess(
    bindings
      .command('import')
      .description(
        'apply a bindings file as the whole configuration: validated whole (refused with every bad field, nothing written), then only the changes are recorded; running engines take them up',
      )
      .argument('<file>', 'bindings file (YAML or JSON)'),
  )
    .option('--dry-run', 'print what would change; write nothing', false)
    .option('--json', 'print the diff as JSON', false)
    .action(async (file: string, options: ImportOptions) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        process.stderr.write(`signalbox: cannot read ${file}: ${(error as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      let document: unknown;
      try {
        document = parse(text);
      } catch (error) {
        reportInvalid(
          new SchemaViolation(file, [{ path: '', message: `not YAML or JSON: ${(error as Error).message}` }]),
        );
        return;
      }
      const store = await openWritableStore(options);
      const bar = progress('import', !options.json && !options.dryRun);
      try {
        const result = await importBindings(store, defaultRegistry(), document, {
          actor: operatorActor(),
          dryRun: options.dryRun,
          source: file,
          // A bar only for imports big enough to take a while.
          onProgress: (done, total) => {
            if (total >= 50) bar.update(done, total);
          },
        });
        bar.stop();
        if (options.json) printJson(result);
        else printDiff(result.diff, options.dryRun);
        // Not an error: secrets may be set after the configuration, but until then it cannot connect.
        const known = new Set(
          (await (await SecretStore.open({ store, dataDir: options.data })).list()).map((s) => s.name),
        );
        for (const ref of missingSecrets(document, known)) {
          process.stderr.write(
            `signalbox: warning: ${ref.path} references secret "${ref.secret}", which is not set (signalbox secrets set ${ref.secret})\n`,
          );
        }
      } catch (error) {
        bar.stop();
        if (error instanceof SchemaViolation) reportInvalid(error);
        else throw error;
      } finally {
        await store.close();
      }
    });
  return withUsageExit(bindings);
}
