import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { openStore } from '../store/open-store.js';
import { newInstanceIdentity, recordStarted, recordStopped } from '../workers/host-instance.js';
import { logger } from './logger.js';

export const DEFAULT_STORE = 'data/signalbox.db';

/**
 * `signalbox start`: runs a host instance on the embedded default (a SQLite file, no other
 * server) until SIGINT or SIGTERM, recording its start and stop as events.
 */
export function startCommand(): Command {
  return new Command('start')
    .description('run a host instance on the embedded store (SQLite file, no other server)')
    .option('--store <location>', 'event store: a SQLite file, or esdb://… for EventStoreDB', DEFAULT_STORE)
    .option('--host <name>', 'the host this instance belongs to', 'default')
    .action(async (options: { store: string; host: string }) => {
      const location = options.store;
      if (!/^[a-z+]+:\/\//.test(location))
        mkdirSync(dirname(resolve(location.replace(/^sqlite:/, ''))), { recursive: true });
      const store = await openStore(location);
      const identity = newInstanceIdentity(options.host);
      await recordStarted(store, identity, process.env.npm_package_version ?? '0.1.0');
      logger.info(
        { host: identity.host, instance: identity.instance, store: redact(location) },
        'host instance started',
      );
      // The store keeps nothing alive while idle; the host instance lives until it is told to stop.
      const alive = setInterval(() => undefined, 60_000);
      const signal = await new Promise<NodeJS.Signals>((done) => {
        process.once('SIGINT', () => done('SIGINT'));
        process.once('SIGTERM', () => done('SIGTERM'));
      });
      clearInterval(alive);
      await recordStopped(store, identity, signal);
      await store.close();
      logger.info({ instance: identity.instance, signal }, 'host instance stopped');
    });
}

/** Connection strings may carry credentials; logs never do. */
export function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//***@');
}
