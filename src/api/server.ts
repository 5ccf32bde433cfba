import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastify, { type FastifyInstance } from 'fastify';
import { defaultRegistry } from '../adapters/index.js';
import type { AdapterRegistry } from '../adapters/registry.js';
import { currentLeases, hostInstances } from '../projections/queries/index.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { EventStore } from '../store/event-store.js';
import type { ApiContext } from './context.js';
import { errorAnswer } from './errors.js';
import { apiLogger, type ApiLogOptions } from './logger.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { ViewLag } from './metrics/view-lag.js';
import { SecretStore } from '../workers/secrets/secret-store.js';
import { registerConsole } from './console/register.js';
import { auditRoutes } from './routes/audit.js';
import { configRoutes } from './routes/config.js';
import { healthRoutes } from './routes/health.js';
import { leaseRoutes } from './routes/leases.js';
import { messageRoutes } from './routes/messages.js';
import { metricsRoutes } from './routes/metrics.js';
import { operationRoutes } from './routes/operations.js';
import { portRoutes } from './routes/ports.js';
import { replayRoutes } from './routes/replays.js';
import { secretRoutes } from './routes/secrets.js';
import { suspendedRoutes } from './routes/suspended.js';
import { tokenRoutes } from './routes/tokens.js';
import { TokenRegistry } from './tokens/token-registry.js';
import { withViews } from './views.js';

export interface ApiOptions {
  readonly store: EventStore;
  readonly blobs: BlobStore;
  /** The data folder: operator views in `<data>/views.db`. */
  readonly dataDir: string;
  /** Default: every adapter Signalbox has. */
  readonly registry?: AdapterRegistry;
  readonly log?: ApiLogOptions;
  /**
   * Keep the operator views following the store in the background (default true). An engine in
   * the same process that keeps them already (`start` with its views) makes this unnecessary.
   */
  readonly feedViews?: boolean;
  /** `/health/ready` fails while an operator view is more than this many events behind. Default 10,000. */
  readonly readyMaxLag?: number;
  /** The secrets of `PUT /secrets`; default: opened on first use from the store and the data folder's master key. */
  readonly secrets?: SecretStore;
  /**
   * Check every JSON answer against the schema the OpenAPI document shows for it; a mismatch
   * answers 500. For tests: it proves the document describes what the routes really send.
   */
  readonly checkAnswers?: boolean;
  /** `/metrics` needs no token (default true); false: a viewer token. */
  readonly metricsTokenFree?: boolean;
}

/**
 * The HTTP API: fastify with zod-checked routes, the OpenAPI document made from the same
 * schemas (`/openapi.json`, browsable at `/docs`), health, metrics and the `/api/v1` routes.
 * Closing the instance stops its followers; the store and blobs stay the caller's.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const logger = apiLogger(options.log);
  // pino's Logger and fastify's base logger type differ only in generics; routes take the base type.
  const app = fastify({ loggerInstance: logger }) as unknown as FastifyInstance;
  const tokens = new TokenRegistry(options.store);
  const context: ApiContext = {
    store: options.store,
    blobs: options.blobs,
    dataDir: options.dataDir,
    registry: options.registry ?? defaultRegistry(),
    tokens,
    authenticate: (authorization, role) => tokens.authenticate(authorization, role),
    checkAnswers: options.checkAnswers ?? false,
  };

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorAnswer(error);
    // Messages only: a request body (which may hold a secret) is never logged.
    if (status >= 500)
      request.log.error({ code: body.error.code, err: { message: (error as Error).message } }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Signalbox API',
        version: process.env.npm_package_version ?? '0.1.0',
        description: 'Tracking, operations, configuration, tokens and health of a Signalbox engine.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const viewLag = new ViewLag(options.store, options.dataDir);
  const metrics = new EngineMetrics(
    options.store,
    viewLag,
    () => withViews(context, ['leases'], currentLeases),
    () => withViews(context, ['hosts'], (db) => hostInstances(db, new Date())),
  );
  const stop = new AbortController();
  const following = await metrics.follow(stop.signal, logger);
  const feeding = options.feedViews === false ? Promise.resolve() : viewLag.feed(stop.signal, logger);
  app.addHook('onClose', async () => {
    stop.abort();
    await Promise.allSettled([following.done, feeding]);
    viewLag.close();
  });

  try {
    await registerRoutes(app, context, options, { viewLag, metrics });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

async function registerRoutes(
  app: FastifyInstance,
  context: ApiContext,
  options: ApiOptions,
  parts: { viewLag: ViewLag; metrics: EngineMetrics },
): Promise<void> {
  const { viewLag, metrics } = parts;
  healthRoutes(app, context, { viewLag, maxLag: options.readyMaxLag ?? 10_000 });
  metricsRoutes(app, context, { metrics, tokenFree: options.metricsTokenFree ?? true });
  messageRoutes(app, context);
  suspendedRoutes(app, context);
  operationRoutes(app, context);
  replayRoutes(app, context);
  portRoutes(app, context);
  leaseRoutes(app, context);
  auditRoutes(app, context);
  tokenRoutes(app, context);
  configRoutes(app, context);
  // Opened on first use; a failure (no master key yet) is not kept, so a key added later is found.
  let secrets: Promise<SecretStore> | undefined;
  const openSecrets = (): Promise<SecretStore> => {
    if (options.secrets) return Promise.resolve(options.secrets);
    secrets ??= SecretStore.open({ store: options.store, dataDir: options.dataDir }).catch((error: unknown) => {
      secrets = undefined;
      throw error;
    });
    return secrets;
  };
  secretRoutes(app, context, openSecrets);
  await registerConsole(app);
}
