import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HostInstanceState, LeaseState } from '../../projections/queries/index.js';
import { streams } from '../../domain/streams.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import type { Logger } from '../../workers/logger.js';
import type { ViewLag } from './view-lag.js';

/** Receipt times kept for latency; older ones are read back from the message's stream when needed. */
const RECEIPTS_KEPT = 100_000;
/** The label of a whole message suspended before routing, which has no port. */
const NO_PORT = '(message)';

/**
 * Prometheus metrics derived from the event store, so they count what every worker did,
 * whichever process it ran in. Counters follow the store from its head when the API started
 * (as any Prometheus counter, they start at zero with the process); gauges are read at scrape.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly received: Counter<'location'>;
  private readonly sent: Counter<'port'>;
  private readonly failed: Counter<'port'>;
  private readonly suspended: Counter<'port'>;
  private readonly latency: Histogram<'port'>;
  private readonly receipts = new Map<string, number>();

  constructor(
    private readonly store: EventStore,
    viewLag: ViewLag,
    leases: () => Promise<readonly LeaseState[]>,
    hosts: () => Promise<readonly HostInstanceState[]>,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'signalbox_' });
    this.received = new Counter({
      name: 'signalbox_messages_received_total',
      help: 'Messages received, by receive location',
      labelNames: ['location'],
      registers,
    });
    this.sent = new Counter({
      name: 'signalbox_messages_sent_total',
      help: 'Sends completed, by send port',
      labelNames: ['port'],
      registers,
    });
    this.failed = new Counter({
      name: 'signalbox_send_failures_total',
      help: 'Send attempts that failed, by send port',
      labelNames: ['port'],
      registers,
    });
    this.suspended = new Counter({
      name: 'signalbox_messages_suspended_total',
      help: `Suspensions, by send port ("${NO_PORT}": a whole message, before routing)`,
      labelNames: ['port'],
      registers,
    });
    this.latency = new Histogram({
      name: 'signalbox_send_latency_seconds',
      help: 'From receipt to sent, by send port',
      labelNames: ['port'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    new Gauge({
      name: 'signalbox_projection_lag_events',
      help: 'Events an operator view is behind the store head',
      labelNames: ['view'],
      registers,
      async collect() {
        const lag = viewLag.lagAt(await store.headPosition());
        this.reset();
        for (const [view, behind] of Object.entries(lag)) this.set({ view }, behind);
      },
    });
    let current: readonly LeaseState[] = [];
    const readLeases = async () => {
      current = await leases();
    };
    new Gauge({
      name: 'signalbox_lease_term',
      help: 'The term (fencing token) of each lease',
      labelNames: ['resource'],
      registers,
      async collect() {
        await readLeases();
        this.reset();
        for (const lease of current) this.set({ resource: lease.resource }, lease.term);
      },
    });
    new Gauge({
      name: 'signalbox_lease_held',
      help: 'Each lease and its holding instance: 1 while held, 0 once released',
      labelNames: ['resource', 'holder'],
      registers,
      collect() {
        // Read by the term gauge just before: the registry collects metrics in registration order.
        this.reset();
        for (const lease of current)
          this.set({ resource: lease.resource, holder: lease.holder }, lease.released ? 0 : 1);
      },
    });
    new Gauge({
      name: 'signalbox_host_instances_alive',
      help: 'Host instances that recorded no stop and missed fewer than three heartbeats, by host',
      labelNames: ['host'],
      registers,
      async collect() {
        const instances = await hosts();
        this.reset();
        // Every host seen keeps its series, at 0 once none of its instances is alive: what to alert on.
        for (const instance of instances) this.inc({ host: instance.host }, 0);
        for (const instance of instances) if (instance.state === 'started') this.inc({ host: instance.host });
      },
    });
  }

  /**
   * Starts counting from the store's head as it is now (resolved once it is read), and goes on
   * until `signal` aborts.
   */
  async follow(signal: AbortSignal, logger: Logger): Promise<{ done: Promise<void> }> {
    let after = await this.store.headPosition();
    const done = (async () => {
      while (!signal.aborted) {
        try {
          for await (const event of this.store.subscribeAll({
            after,
            signal,
            filter: {
              streamPrefixes: ['message-'],
              eventTypes: ['MessageReceived', 'MessageSent', 'SendFailed', 'MessageSuspended'],
            },
          })) {
            await this.count(event);
            after = event.position;
          }
        } catch (error) {
          if (signal.aborted) return;
          logger.warn({ err: (error as Error).message }, 'metrics follower failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();
    return { done };
  }

  private async count(event: RecordedEvent): Promise<void> {
    switch (event.type) {
      case 'MessageReceived':
        this.received.inc({ location: event.data.receiveLocation });
        this.remember(event.data.messageId, event.recordedAt.getTime());
        return;
      case 'MessageSent': {
        this.sent.inc({ port: event.data.port });
        const receivedAt = await this.receiptOf(event.data.messageId);
        if (receivedAt !== undefined) {
          this.latency.observe({ port: event.data.port }, Math.max(0, event.recordedAt.getTime() - receivedAt) / 1000);
        }
        return;
      }
      case 'SendFailed':
        this.failed.inc({ port: event.data.port });
        return;
      case 'MessageSuspended':
        this.suspended.inc({ port: event.data.port ?? NO_PORT });
        return;
      default:
        return;
    }
  }

  private remember(messageId: string, at: number): void {
    this.receipts.set(messageId, at);
    if (this.receipts.size > RECEIPTS_KEPT) {
      const oldest = this.receipts.keys().next().value;
      if (oldest !== undefined) this.receipts.delete(oldest);
    }
  }

  private async receiptOf(messageId: string): Promise<number | undefined> {
    const known = this.receipts.get(messageId);
    if (known !== undefined) return known;
    const [first] = await this.store.readStream(streams.message(messageId), { maxCount: 1 });
    return first?.type === 'MessageReceived' ? first.recordedAt.getTime() : undefined;
  }
}
