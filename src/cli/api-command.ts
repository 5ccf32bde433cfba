import { Command, InvalidArgumentError, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { ApiOptions } from '../api/server.js';
import { openBlobStore } from '../store/blob/open-blob-store.js';
import { openCommandStore, withStoreAccess, type StoreAccessOptions } from './store-access.js';

/** Where `--api` listens when given without an address. */
export const DEFAULT_API_LISTEN = '127.0.0.1:7070';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port` (`[::1]:7070` for IPv6); the port 0 picks a free one. */
export function listenAddress(value: string): ListenAddress {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:7070');
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** Builds the API and listens; logs where, with the address the OS gave (port 0). */
export async function serveApi(options: ApiOptions, listen: ListenAddress): Promise<FastifyInstance> {
  // Loaded only when an API is served: fastify, its OpenAPI pages and prom-client weigh some 35 MB
  // that an engine without `--api` has no use for.
  const { buildApi } = await import('../api/server.js');
  const app = await buildApi(options);
  try {
    const address = await app.listen({ host: listen.host, port: listen.port });
    app.log.info({ address, docs: `${address}/docs` }, 'API listening');
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** Resolves with the signal (SIGINT or SIGTERM) that asks the process to stop. */
export async function untilSignal(): Promise<NodeJS.Signals> {
  const alive = setInterval(() => undefined, 60_000);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  clearInterval(alive);
  return signal;
}

interface ApiCommandOptions extends StoreAccessOptions {
  listen: ListenAddress;
  blobs: 'local' | 'nats';
  nats?: string;
  feedViews: boolean;
  metricsToken?: boolean;
}

/**
 * `signalbox api`: the HTTP API alone, over an engine's data folder (or store), beside the
 * workers wherever they run. It keeps the operator views of the data folder current itself.
 */
export function apiCommand(): Command {
  return withStoreAccess(new Command('api').description('serve the HTTP API (and console) over an engine’s store'))
    .addOption(
      new Option('--listen <host:port>', 'where to listen')
        .argParser(listenAddress)
        .default(listenAddress(DEFAULT_API_LISTEN), DEFAULT_API_LISTEN),
    )
    .option('--blobs <kind>', 'where the engine keeps large bodies: local (<data>/blobs) or nats', 'local')
    .option('--nats <servers>', 'NATS servers, for --blobs nats')
    .option('--no-feed-views', 'do not keep <data>/views.db current here (an engine beside it does)')
    .option('--metrics-token', '/metrics needs a viewer token (without it: no token needed)')
    .action(async (options: ApiCommandOptions) => {
      if (options.blobs !== 'local' && options.blobs !== 'nats')
        throw new InvalidArgumentError('--blobs: local or nats');
      const store = await openCommandStore(options);
      const blobs = await openBlobStore({
        kind: options.blobs,
        dataDir: options.data,
        ...(options.nats === undefined ? {} : { nats: options.nats }),
      });
      try {
        const app = await serveApi(
          {
            store,
            blobs: blobs.store,
            dataDir: options.data,
            feedViews: options.feedViews,
            metricsTokenFree: options.metricsToken !== true,
          },
          options.listen,
        );
        const signal = await untilSignal();
        await app.close();
        app.log.info({ signal }, 'API stopped');
      } finally {
        await blobs.close();
        await store.close();
      }
    });
}
