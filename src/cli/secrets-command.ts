import { Command } from 'commander';
import { SchemaViolation } from '../domain/errors.js';
import { masterKeyEnv, newMasterKeyEnv } from '../workers/secrets/master-key.js';
import { SecretStore } from '../workers/secrets/secret-store.js';
import { reportInvalid, withUsageExit } from './bindings-command.js';
import { operatorActor } from './operator.js';
import { printJson, printTable } from './output.js';
import { progress } from './progress.js';
import { openCommandStore, openWritableStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

interface SecretOptions extends StoreAccessOptions {
  json: boolean;
}

/**
 * The value comes from stdin, or from a prompt that does not echo it — never from the command
 * line, where `ps`, /proc/<pid>/cmdline and shell history would show it to others.
 */
async function readValue(name: string): Promise<string> {
  if (process.stdin.isTTY) return prompt(`value of secret ${name} (not shown): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing line end is the shell's (`echo`, a file's last line), not part of the value.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function prompt(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

/** `signalbox secrets set | list | rotate-master` (docs/secrets.md). */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description(
    'adapter credentials, sealed with the master key before they reach the store (docs/secrets.md)',
  );
  withStoreAccess(
    secrets
      .command('set')
      .description('set a secret to a new value read from stdin (or typed at a prompt that does not echo it)')
      .argument('<name>', 'the name bindings use: { secret: <name> }'),
  )
    .option('--json', 'print JSON', false)
    .action(async (name: string, options: SecretOptions) => {
      const value = await readValue(name);
      const store = await openWritableStore(options);
      try {
        const secretStore = await SecretStore.open({ store, dataDir: options.data });
        const result = await secretStore.set(name, value, operatorActor());
        if (options.json) printJson(result);
        else process.stdout.write(`secret ${result.name} set (version ${result.version})\n`);
      } catch (error) {
        if (error instanceof SchemaViolation) reportInvalid(error);
        else throw error;
      } finally {
        await store.close();
      }
    });
  withStoreAccess(secrets.command('list').description('names, versions and times of the secrets (never values)'))
    .option('--json', 'print JSON', false)
    .action(async (options: SecretOptions) => {
      const store = await openCommandStore(options);
      try {
        const list = await (await SecretStore.open({ store, dataDir: options.data })).list();
        if (options.json) printJson(list);
        else printTable(list, ['name', 'version', 'updatedAt', 'updatedBy', 'keyId']);
      } finally {
        await store.close();
      }
    });
  withStoreAccess(
    secrets
      .command('rotate-master')
      .description(
        `seal every secret again under a new master key (in <data>/master.key, or from ${newMasterKeyEnv} when ${masterKeyEnv} is used); safe to run again after an interruption`,
      ),
  )
    .option('--json', 'print JSON', false)
    .action(async (options: SecretOptions) => {
      const store = await openCommandStore(options);
      try {
        const secretStore = await SecretStore.open({ store, dataDir: options.data });
        const bar = progress('re-encrypt', !options.json);
        const result = await secretStore.rotateMaster(operatorActor(), (done, total) => bar.update(done, total));
        bar.stop();
        if (options.json) {
          printJson(result);
          return;
        }
        process.stdout.write(
          `master key rotated: ${result.fromKeyId} -> ${result.toKeyId}; ${result.reencrypted} secret(s) re-encrypted\n`,
        );
        if (process.env[masterKeyEnv]) {
          process.stdout.write(
            `set ${masterKeyEnv} to the new key (${newMasterKeyEnv}) for every instance, then unset ${newMasterKeyEnv}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  return withUsageExit(secrets);
}
