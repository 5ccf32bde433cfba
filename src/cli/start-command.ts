import { Command, InvalidArgumentError } from 'commander';
import type { Bindings } from '../domain/config/index.js';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_API_LISTEN, listenAddress, serveApi, type ListenAddress } from './api-command.js';
import { DEFAULT_HEARTBEAT_MS } from '../workers/host-heartbeat.js';
import { startEngine } from './engine.js';
import { liveBindings } from './live-bindings.js';
import { loadBindings } from './load-bindings.js';
import { logger } from './logger.js';
import { operatorActor } from './operator.js';
import { sampleBindings } from './sample-bindings.js';

interface RunOptions {
  data: string;
  store?: string;
  nats?: string;
  natsReplicas?: number;
  blobs: 'local' | 'nats';
  config?: string;
  host: string;
  name: string;
  concurrency: number;
  heartbeatMs: number;
  views: boolean;
  /** `--api` alone: true (the default address). */
  api?: ListenAddress | true;
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

function heartbeatMs(value: string): number {
  const n = Number(value);
  // Each beat is a write to the store: more often than every 100 ms buys nothing but load.
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError('a whole number of milliseconds, at least 100');
  return n;
}

function natsReplicas(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError('must be an integer from 1 to 5');
  return n;
}

function blobKind(value: string): 'local' | 'nats' {
  if (value !== 'local' && value !== 'nats') throw new InvalidArgumentError('local or nats');
  return value;
}

async function run(options: RunOptions, bindings: Bindings): Promise<void> {
  const engine = await startEngine({
    dataDir: options.data,
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.nats === undefined ? {} : { nats: options.nats }),
    ...(options.natsReplicas === undefined ? {} : { natsReplicas: options.natsReplicas }),
    blobs: options.blobs,
    host: options.host,
    name: options.name,
    bindings,
    logger,
    sendConcurrency: options.concurrency,
    heartbeatMs: options.heartbeatMs,
    configActor: operatorActor(),
    operatorViews: options.views,
  });
  logger.info(
    {
      host: engine.identity.host,
      instance: engine.identity.instance,
      store: redact(options.store ?? `${options.data}/signalbox.db`),
      queue: options.nats ? redact(options.nats) : 'embedded',
      blobs: options.blobs,
      receiveLocations: bindings.receiveLocations.map((l) => l.name),
      sendPorts: bindings.sendPorts.map((p) => p.name),
    },
    'host instance started',
  );
  let api: FastifyInstance | undefined;
  if (options.api) {
    try {
      api = await serveApi(
        {
          store: engine.store,
          blobs: engine.blobs,
          secrets: engine.secrets,
          dataDir: options.data,
          // The engine keeps the operator views itself unless told not to.
          feedViews: !options.views,
        },
        options.api === true ? listenAddress(DEFAULT_API_LISTEN) : options.api,
      );
    } catch (error) {
      await engine.stop('api-failed');
      throw error;
    }
  }
  // The engine's own timers are unreferenced; the instance lives until it is told to stop.
  const alive = setInterval(() => undefined, 60_000);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  clearInterval(alive);
  await api?.close();
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
    .option('--nats-replicas <n>', 'replicas of the NATS streams Signalbox creates (3 on a cluster)', natsReplicas)
    .option(
      '--blobs <kind>',
      'where large bodies go: local (<data>/blobs) or nats (the JetStream object store)',
      blobKind,
      'local',
    )
    .option('--host <name>', 'the host this instance belongs to', 'default')
    .option(
      '--name <name>',
      'this instance on its machine; instances sharing --data need different names',
      instanceName,
      'main',
    )
    .option('--concurrency <n>', 'sends in progress at once', positiveInt, 16)
    .option(
      '--heartbeat-ms <ms>',
      'how often this instance records that it is alive; /hosts calls it lost after three missed',
      heartbeatMs,
      DEFAULT_HEARTBEAT_MS,
    )
    .option('--api [host:port]', `also serve the HTTP API and console (default ${DEFAULT_API_LISTEN})`, listenAddress);
}

/**
 * `signalbox start`: a host instance on the embedded default (SQLite file, embedded work queue, no
 * other server). Without `--config` it runs the configuration live in the store, or on an empty
 * store the sample flow: files dropped into `<data>/inbox` are routed to `<data>/outbox`.
 */
export function startCommand(): Command {
  return withEngineOptions(
    new Command('start').description(
      'run a host instance; without --config, the live configuration in the store, or the sample flow inbox → outbox',
    ),
  )
    .option(
      '--config <file>',
      "bindings file (YAML or JSON); default: the store's live configuration, else the sample flow",
    )
    .option('--no-views', 'do not keep the operator views (tracking, suspended, …) of <data>/views.db')
    .action(async (options: RunOptions) => {
      const bindings = options.config
        ? loadBindings(options.config)
        : ((await liveBindings(options.data, options.store)) ?? sampleBindings(options.data, options.host));
      await run(options, bindings);
    });
}

/**
 * `signalbox worker`: another instance that joins the others on the same store, running the
 * store's live configuration (what `bindings import` or the first `start --config` recorded), or
 * the given bindings file.
 */
export function workerCommand(): Command {
  return withEngineOptions(new Command('worker').description('run a worker that joins the other instances'))
    .option('--config <file>', "bindings file (YAML or JSON); default: the store's live configuration")
    .option('--views', 'also keep the operator views (tracking, suspended, …) of <data>/views.db', false)
    .action(async (options: RunOptions) => {
      const bindings = options.config ? loadBindings(options.config) : await liveBindings(options.data, options.store);
      if (!bindings) {
        throw new Error(
          'the store holds no configuration yet: give --config FILE, or run `signalbox bindings import FILE`',
        );
      }
      await run(options, bindings);
    });
}

/** Connection strings may carry credentials; logs never do. */
export function redact(location: string): string {
  return location.replace(/\/\/[^@/]*@/, '//***@');
}
