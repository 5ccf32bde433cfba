import { setMaxListeners } from 'node:events';
import type Database from 'better-sqlite3';
import type { AdapterRegistry } from '../adapters/registry.js';
import { noSecrets, type SecretResolver } from '../adapters/secrets.js';
import { Capacity } from '../bus/capacity.js';
import type { WorkQueue } from '../bus/work-queue.js';
import { allSubscriptions, type Bindings } from '../domain/config/index.js';
import { compileSubscriptions } from '../domain/routing/route.js';
import { streams } from '../domain/streams.js';
import { compilePipeline } from '../pipeline/pipeline.js';
import { ProjectionRunner, type Projection } from '../projections/runner.js';
import { openSendsView } from '../projections/views/open-sends.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { EventStore } from '../store/event-store.js';
import { runAnchorLoop } from '../audit/anchor-writer.js';
import { Dispatcher } from './dispatcher.js';
import { DispatchView } from './dispatch-view.js';
import type { HostInstanceIdentity } from './host-instance.js';
import { runSingleton, type SingletonWorker } from './lease/index.js';
import { runOrderedSender } from './ordered/ordered-sender.js';
import type { Logger } from './logger.js';
import { runReceiveLoop } from './receiver/receive-loop.js';
import { FencedLocationLog } from './receiver/location-log.js';
import { Conversations } from './correlation/conversations.js';
import { ReplyFollower, withReplies } from './correlation/replies.js';
import { runMessageCommand } from './message-commands.js';
import { createSubmit, receivedAt, type Routing } from './receiver/submit.js';
import { DirectSender } from './sender/direct-send.js';
import { SendPorts } from './sender/send-ports.js';
import { defaultStaleClaimMs, SendWorker } from './sender/send-worker.js';

export interface HostRuntimeOptions {
  readonly bindings: Bindings;
  readonly registry: AdapterRegistry;
  readonly store: EventStore;
  readonly blobs: BlobStore;
  readonly queue: WorkQueue;
  /** This node's view database (the open-sends view the dispatcher reads). */
  readonly views: Database.Database;
  readonly identity: HostInstanceIdentity;
  readonly logger: Logger;
  /** Reveals adapter credentials; without one, a binding that references a secret fails to connect. */
  readonly secrets?: SecretResolver;
  /**
   * Concurrent sends of this instance, queue work and sends started at receipt together.
   * Default 16.
   */
  readonly sendConcurrency?: number;
  /**
   * Send at receipt when a send slot is free (see `DirectSender`). Default true; false sends
   * everything through the work queue.
   */
  readonly sendAtReceipt?: boolean;
  /** Lease ttl for singleton handlers and the dispatcher. Default: the lease module's. */
  readonly leaseTtlMs?: number;
  /** The queue's ack wait, for the send workers' progress reports. Default 30 s. */
  readonly ackWaitMs?: number;
  /**
   * Operator views (tracking, properties, suspended, …) this instance keeps up to date, in their
   * own file. Usually one instance per machine keeps them; queries catch them up themselves.
   */
  readonly operatorViews?: { readonly db: Database.Database; readonly projections: readonly Projection[] };
  /** How often the holder of the `audit-anchors` lease anchors new history. Default 10 s. */
  readonly anchorEveryMs?: number;
}

/**
 * One host instance: the receive locations of its host (single-active ones under a lease), sends
 * started at receipt while send slots are free, the dispatcher and its open-sends view (one
 * instance of the whole cluster at a time, under a lease that depends on the queue being
 * reachable), and send workers that compete for queue work in the remaining slots.
 *
 * Everything is resolved before anything starts: a bad adapter setting or filter refuses the
 * whole configuration, naming the field.
 */
export class HostRuntime {
  private readonly abort = new AbortController();
  private readonly tasks: Promise<unknown>[] = [];
  private readonly singletons: SingletonWorker[] = [];
  private readonly ports: SendPorts;
  private readonly routing: Routing;
  private readonly locations;
  private direct: DirectSender | undefined;

  constructor(private readonly options: HostRuntimeOptions) {
    // Every receive location, sender and background task waits on this one signal: more than
    // Node's default of ten listeners at once is the design here, not a leak to warn about.
    setMaxListeners(0, this.abort.signal);
    const { bindings, registry } = options;
    const secrets = options.secrets ?? noSecrets;
    this.ports = new SendPorts(bindings.sendPorts, registry, secrets);
    this.routing = {
      subscriptions: compileSubscriptions(allSubscriptions(bindings)),
      enabledPorts: new Set(bindings.sendPorts.filter((p) => p.enabled).map((p) => p.name)),
    };
    this.locations = bindings.receiveLocations.map((location, i) => {
      const adapter = registry.get(location.adapter);
      const config = registry.receiveConfig(location.adapter, location.config, `receiveLocations.${i}.config`);
      const side = adapter.receive!;
      const passthrough = location.pipeline.every((step) => step.component === 'passthrough');
      return {
        definition: location,
        handler: side.create(config, { name: location.name, receivePort: location.receivePort, secrets }),
        singleActive:
          side.singleActive === 'always' || (typeof side.singleActive === 'function' && side.singleActive(config)),
        pipeline: passthrough ? undefined : compilePipeline(location.pipeline),
      };
    });
  }

  /** The routing live now, for operators resuming unroutable messages. */
  get liveRouting(): Routing {
    return this.routing;
  }

  start(): void {
    const { options } = this;
    const signal = this.abort.signal;
    const actor = `worker:${options.identity.instance}`;
    const responses = new Map<string, ReturnType<typeof createSubmit>>();
    const conversations = new Conversations(options.store, (port, response) => {
      // A solicit-response port's replies arrive as if received on a location named after it
      // (and may be sent at receipt too: `direct` exists by the time a reply comes).
      let submit = responses.get(port.name);
      if (!submit) {
        submit = createSubmit({
          store: options.store,
          blobs: options.blobs,
          location: { name: `${port.name}.response`, receivePort: port.name, adapter: port.adapter },
          routing: () => this.routing,
          actor,
          ...(direct ? { direct } : {}),
        });
        responses.set(port.name, submit);
      }
      return submit(response);
    });
    const slots = new Capacity(options.sendConcurrency ?? 16);
    const direct =
      options.sendAtReceipt === false
        ? undefined
        : new DirectSender({
            store: options.store,
            queue: options.queue,
            ports: this.ports,
            blobs: options.blobs,
            worker: options.identity.instance,
            host: options.identity.host,
            slots,
            signal,
            logger: options.logger,
            conversations,
          });
    this.direct = direct;
    const lease = (resource: string) => ({
      resource,
      holder: options.identity.instance,
      ...(options.leaseTtlMs === undefined ? {} : { ttlMs: options.leaseTtlMs }),
      onError: (error: unknown) => options.logger.warn({ err: error, resource }, 'lease worker error'),
    });

    const replies = new ReplyFollower(options.store, options.blobs, options.logger);
    for (const location of this.locations) {
      const { definition } = location;
      if (!definition.enabled || definition.host !== options.identity.host) continue;
      const submit = createSubmit({
        store: options.store,
        blobs: options.blobs,
        location: { name: definition.name, receivePort: definition.receivePort, adapter: definition.adapter },
        ...(location.pipeline ? { pipeline: location.pipeline } : {}),
        ...(definition.follows ? { follows: definition.follows } : {}),
        routing: () => this.routing,
        actor,
        ...(direct ? { direct } : {}),
      });
      // Request-response receivers (HTTP) wait for the reply correlated to what they submitted.
      const handler = withReplies(location.handler, replies);
      const isReceived = receivedAt(options.store, definition.name);
      const loop = { location: definition.name, handler, submit, isReceived, logger: options.logger };
      if (location.singleActive) {
        this.singletons.push(
          runSingleton(options.store, {
            ...lease(`location-${definition.name}`),
            handler: async (context) => {
              const fenced = await context.fence(streams.location(definition.name));
              const log = new FencedLocationLog(options.store, fenced, actor);
              await runReceiveLoop({ ...loop, log }, context.signal);
            },
          }),
        );
      } else {
        this.tasks.push(runReceiveLoop(loop, signal));
      }
    }

    const staleClaimMs = defaultStaleClaimMs(options.ackWaitMs);
    const dispatcher = new Dispatcher({
      views: options.views,
      queue: options.queue,
      claimStaleAfterMs: staleClaimMs,
      expireCorrelation: async ({ set, key, messageId, port }) => {
        await runMessageCommand(options.store, messageId, () => ({ type: 'TimeOutCorrelation', port, set, key }), {
          actor,
          causationId: `correlation-${set}-${key}`,
        });
      },
      skipPorts: new Set(options.bindings.sendPorts.filter((p) => p.ordered).map((p) => p.name)),
      logger: options.logger,
    });
    const view = new DispatchView(new ProjectionRunner(options.store, options.views, openSendsView), {
      onChange: () => dispatcher.poke(),
      logger: options.logger,
    });
    for (const projection of options.operatorViews?.projections ?? []) {
      const viewRunner = new ProjectionRunner(options.store, options.operatorViews!.db, projection);
      this.tasks.push(followView(viewRunner, projection.name, signal, options.logger));
    }
    this.singletons.push(
      runSingleton(options.store, {
        ...lease('dispatcher'),
        dependencies: [{ name: 'work-queue', check: () => Promise.resolve(options.queue.isHealthy()) }],
        // The view is kept fresh only here, by the lease holder: nobody else reads it.
        handler: (context) => view.whileHolding(context.signal, (held) => dispatcher.run(held)),
      }),
    );

    // One instance of the cluster anchors the history for `audit verify` (docs/audit.md); the
    // anchor stream's expected revision would make racing writers harmless, the lease makes them rare.
    this.singletons.push(
      runSingleton(options.store, {
        ...lease('audit-anchors'),
        handler: (context) =>
          runAnchorLoop(options.store, {
            signal: context.signal,
            logger: options.logger,
            actor: `worker:${options.identity.instance}`,
            ...(options.anchorEveryMs === undefined ? {} : { intervalMs: options.anchorEveryMs }),
          }),
      }),
    );

    for (const port of options.bindings.sendPorts) {
      if (!port.ordered || !port.enabled || port.host !== options.identity.host) continue;
      const onFailure = port.ordered.onFailure;
      this.singletons.push(
        runSingleton(options.store, {
          ...lease(`port-${port.name}`),
          handler: (context) =>
            runOrderedSender(context, {
              store: options.store,
              blobs: options.blobs,
              ports: this.ports,
              port: port.name,
              onFailure,
              logger: options.logger,
              conversations,
            }),
        }),
      );
    }

    const sender = new SendWorker({
      store: options.store,
      queue: options.queue,
      ports: this.ports,
      blobs: options.blobs,
      worker: options.identity.instance,
      slots: direct ? slots.leaving(() => direct.slotsToKeep()) : slots,
      staleClaimMs,
      ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
      logger: options.logger,
      conversations,
    });
    this.tasks.push(
      sender.run(signal).catch((error: unknown) => options.logger.error({ err: error }, 'send worker stopped')),
    );
  }

  /** Stops receiving first, then lets sends in progress finish, then releases leases. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.singletons.map((s) => s.stop()), ...this.tasks]);
    // Sends started at receipt (before the receivers stopped) finish like queue work does.
    await this.direct?.drain();
    await this.ports.close();
  }
}

/** Keeps a view following the store; a failure (a store outage) is logged and retried, not fatal. */
async function followView(runner: ProjectionRunner, view: string, signal: AbortSignal, logger: Logger): Promise<void> {
  while (!signal.aborted) {
    try {
      await runner.run(signal);
    } catch (error) {
      logger.error({ err: error, view }, 'view stopped; following again in 1 s');
      await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }
}
