import { Command, InvalidArgumentError } from 'commander';
import type { Bindings } from '../domain/config/index.js';
import { startEngine } from './engine.js';
import { loadBindings } from './load-bindings.js';
import { logger } from './logger.js';
import { operatorActor } from './operator.js';
import { sampleBindings } from './sample-bindings.js';

interface RunOptions {
  data: string;
  store?: string;
  nats?: string;
  config?: string;
  host: string;
  name: string;
  concurrency: number;
  views: boolean;
}

function instanceName(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new InvalidArgumentError('letters, digits, _ and - only');
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

async function run(options: RunOptions, bindings: Bindings): Promise<void> {
  const engine = await startEngine({
    dataDir: options.data,
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.nats === undefined ? {} : { nats: options.nats }),
    host: options.host,
    name: options.name,
    bindings,
    logger,
    sendConcurrency: options.concurrency,
    configActor: operatorActor(),
    operatorViews: options.views,
  });
  logger.info(
    {
      host: engine.identity.host,
      instance: engine.identity.instance,
      store: redact(options.store ?? `${options.data}/signalbox.db`),
      queue: options.nats ? redact(options.nats) : 'embedded',
      receiveLocations: bindings.receiveLocations.map((l) => l.name),
      sendPorts: bindings.sendPorts.map((p) => p.name),
    },
    'host instance started',
  );
  // The engine's own timers are unreferenced; the instance lives until it is told to stop.
  const alive = setInterval(() => undefined, 60_000);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  clearInterval(alive);
  await engine.stop(signal);
  logger.info({ instance: engine.identity.instance, signal }, 'host instance stopped');
}

function withEngineOptions(command: Command): Command {
  return command
    .option('--data <folder>', 'folder for the embedded store, work queue, views and message bodies', 'data')
    .option(
      '--store <location>',
      'event store: a SQLite file (default <data>/signalbox.db), or esdb://… for EventStoreDB',
    )
    .option('--nats <servers>', 'use a NATS JetStream work queue on these servers instead of the embedded one')
    .option('--host <name>', 'the host this instance belongs to', 'default')
    .option(
      '--name <name>',
      'this instance on its machine; instances sharing --data need different names',
      instanceName,
      'main',
    )
    .option('--concurrency <n>', 'sends in progress at once', positiveInt, 16);
}

/**
 * `signalbox start`: a host instance on the embedded default (SQLite file, embedded work queue, no
 * other server). Without `--config` it runs the sample flow: files dropped into `<data>/inbox`
 * are routed to `<data>/outbox`.
 */
export function startCommand(): Command {
  return withEngineOptions(
    new Command('start').description('run a host instance; without --config, the sample flow inbox → outbox'),
  )
    .option('--config <file>', 'bindings file (YAML or JSON); default: the sample flow')
    .option('--no-views', 'do not keep the operator views (tracking, suspended, …) of <data>/views.db')
    .action(async (options: RunOptions) => {
      await run(options, options.config ? loadBindings(options.config) : sampleBindings(options.data, options.host));
    });
}

/** `signalbox worker --config FILE`: another instance that joins the others on the same store. */
export function workerCommand(): Command {
  return withEngineOptions(new Command('worker').description('run a worker that joins the other instances'))
    .requiredOption('--config <file>', 'bindings file (YAML or JSON)')
    .option('--views', 'also keep the operator views (tracking, suspended, …) of <data>/views.db', false)
    .action(async (options: RunOptions & { config: string }) => {
      await run(options, loadBindings(options.config));
    });
}

/** Connection strings may carry credentials; logs never do. */
export function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//***@');
}
