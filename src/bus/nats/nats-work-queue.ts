import {
  connect,
  Events,
  JSONCodec,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  type ClusterInfo,
} from 'nats';
import { reconnectDelayMs } from '../backoff.js';
import { Capacity, type Slots } from '../capacity.js';
import { WorkQueueClosed, WorkQueueUnavailable } from '../errors.js';
import { dedupKey, parseSendWork, type SendWork } from '../send-work.js';
import { Wakeup } from '../wakeup.js';
import type { ConsumeOptions, PublishResult, WorkDelivery, WorkQueue } from '../work-queue.js';
import { natsDelivery } from './delivery.js';
import { ensureStreamAndConsumer } from './ensure.js';
import { resolveNatsOptions, type NatsWorkQueueOptions, type ResolvedNatsOptions } from './options.js';
import { answeredByServer, isNoResponders, toWorkQueueError } from './translate-errors.js';

const json = JSONCodec();

/** A port name as one subject token: NATS subjects cannot hold spaces, dots or wildcards. */
function subjectToken(port: string): string {
  return port.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * The work queue on NATS JetStream: a stream with work-queue retention (an acked message is
 * removed) and one durable pull consumer that every worker pulls from, so workers compete.
 *
 * Dedup window: the stream's duplicate window (`duplicateWindowMs`, default 2 minutes, counted
 * from the first publish); the dedup key travels as `Nats-Msg-Id`. Items that wait for their
 * `notBefore` are nacked with the remaining delay when first pulled, which JetStream counts as a
 * delivery: their `deliveryCount` starts one higher.
 *
 * The connection reconnects forever. A consumer that loses its stream or consumer (deleted, or a
 * server that came back without them) re-creates both and goes on with new work; what the stream
 * held is gone, and the reconciler rebuilds it from the event store.
 */
export class NatsWorkQueue implements WorkQueue {
  private readonly closing = new AbortController();
  private connected = true;
  /** Whether JetStream answered the last probe: a node cut off from its cluster's quorum is connected but useless. */
  private jetStreamAnswers = true;
  private ensuring: Promise<void> | undefined;
  private consumerHandle: Consumer | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly options: ResolvedNatsOptions,
  ) {
    void this.watchConnection();
    void this.probeJetStream();
  }

  /** Connects and ensures the stream and consumer; `WorkQueueUnavailable` when the server cannot be reached. */
  static async connect(options: NatsWorkQueueOptions): Promise<NatsWorkQueue> {
    const o = resolveNatsOptions(options);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.servers,
        name: o.connectionName,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: o.requestTimeoutMs,
      });
    } catch (error) {
      throw new WorkQueueUnavailable(`cannot connect to NATS at ${String(o.servers)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const jsm = await nc.jetstreamManager({ timeout: o.requestTimeoutMs });
      const queue = new NatsWorkQueue(nc, jsm, nc.jetstream({ timeout: o.requestTimeoutMs }), o);
      await queue.ensure();
      return queue;
    } catch (error) {
      await nc.close();
      throw toWorkQueueError(error, `setting up stream ${o.stream}`);
    }
  }

  async publish(work: SendWork): Promise<PublishResult> {
    const valid = parseSendWork(work);
    this.assertOpen();
    const subject = `${this.options.subjectPrefix}.send.${subjectToken(valid.port)}`;
    const data = json.encode(valid);
    const publish = async () => {
      const ack = await this.js.publish(subject, data, {
        msgID: dedupKey(valid),
        timeout: this.options.requestTimeoutMs,
        expect: { streamName: this.options.stream },
      });
      return { duplicate: ack.duplicate };
    };
    try {
      try {
        return await publish();
      } catch (error) {
        // Nobody listens on the subject: the stream is gone. Make it again rather than wait for
        // a consumer to notice.
        if (!isNoResponders(error)) throw error;
        await this.ensure();
        return await publish();
      }
    } catch (error) {
      throw toWorkQueueError(error, `publish to ${subject}`);
    }
  }

  async *consume({ signal, concurrency = 1, capacity }: ConsumeOptions): AsyncGenerator<WorkDelivery> {
    this.assertOpen();
    const stop = AbortSignal.any([signal, this.closing.signal]);
    const wakeup = new Wakeup();
    const slots: Slots = capacity ?? new Capacity(concurrency);
    let failures = 0;
    const onSettle = () => slots.release();
    while (!stop.aborted) {
      if (slots.free === 0) {
        await slots.waitForFree(stop);
        continue;
      }
      let batch: ConsumerMessages | undefined;
      let messages: AsyncIterator<JsMsg> | undefined;
      let finished = false;
      const closeBatch = () => void batch?.close();
      try {
        const consumer = await this.consumer();
        // Other work of this process may have taken the free slots meanwhile.
        const wanted = slots.free;
        if (wanted === 0) continue;
        batch = await consumer.fetch({ max_messages: wanted, expires: this.options.fetchExpiresMs });
        stop.addEventListener('abort', closeBatch, { once: true });
        // Iterated by hand, not with for-await: leaving a for-await would end the batch's
        // iterator and drop what it holds, while `giveBack` still needs to drain it.
        messages = batch[Symbol.asyncIterator]();
        for (;;) {
          const next = await messages.next().catch((error: unknown) => {
            finished = true;
            throw error;
          });
          if (next.done) break;
          failures = 0;
          const msg = next.value;
          if (stop.aborted) {
            // Pulled after the consumer stopped: hand it straight back to the others.
            msg.nak();
            continue;
          }
          const delivery = this.toDelivery(msg, onSettle);
          if (!delivery) continue;
          if (!slots.tryTake()) {
            // The pull asked for the slots free when it was made; other work of this process
            // took them since. Hand the item straight back, to a consumer with room.
            msg.nak();
            continue;
          }
          yield delivery;
        }
        finished = true;
        failures = 0;
      } catch (error) {
        if (stop.aborted) break;
        this.consumerHandle = undefined;
        const delayMs = reconnectDelayMs(failures++);
        this.options.logger.warn(
          { err: error, stream: this.options.stream, delayMs },
          'work queue consumer lost its connection, stream or consumer; re-ensuring after a pause',
        );
        await wakeup.wait(stop, delayMs);
      } finally {
        stop.removeEventListener('abort', closeBatch);
        if (batch && messages && !finished) giveBack(batch, messages);
      }
    }
  }

  isHealthy(): boolean {
    return !this.closing.signal.aborted && !this.nc.isClosed() && this.connected && this.jetStreamAnswers;
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    // Drain sends the acks and nacks still buffered before the connection goes; bounded, because
    // with the server away it would wait for a reconnect that may never come.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.requestTimeoutMs)));
    await Promise.race([this.nc.drain().catch(() => undefined), gaveUp]);
    clearTimeout(timer);
    if (!this.nc.isClosed()) await this.nc.close();
  }

  /** Creates or repairs the stream and consumer; concurrent callers share one attempt. */
  ensure(): Promise<void> {
    this.ensuring ??= ensureStreamAndConsumer(this.jsm, this.options).finally(() => {
      this.ensuring = undefined;
    });
    return this.ensuring;
  }

  private async consumer(): Promise<Consumer> {
    if (!this.consumerHandle) {
      await this.ensure();
      this.consumerHandle = await this.js.consumers.get(this.options.stream, this.options.durable);
    }
    return this.consumerHandle;
  }

  private toDelivery(msg: JsMsg, onSettle: () => void): WorkDelivery | undefined {
    let work: SendWork;
    try {
      work = parseSendWork(msg.json(), `work item ${msg.info.stream}#${msg.info.streamSequence}`);
    } catch (error) {
      // Not ours or damaged: redelivering it would only fail again.
      this.options.logger.warn({ err: error, subject: msg.subject }, 'terminating unreadable work item');
      msg.term();
      return undefined;
    }
    const waitMs = work.notBefore === undefined ? 0 : Date.parse(work.notBefore) - Date.now();
    if (waitMs > 0) {
      msg.nak(waitMs);
      return undefined;
    }
    return natsDelivery(msg, work, this.options, onSettle);
  }

  private async watchConnection(): Promise<void> {
    try {
      for await (const status of this.nc.status()) {
        if (status.type === Events.Disconnect) {
          this.connected = false;
          this.options.logger.warn({ server: status.data }, 'work queue disconnected from NATS');
        } else if (status.type === Events.Reconnect) {
          this.connected = true;
          this.options.logger.info({ server: status.data }, 'work queue reconnected to NATS');
        }
      }
    } catch {
      // The status stream ends with the connection; `isHealthy` then reads `isClosed()`.
    }
  }

  /**
   * Asks JetStream about the stream every `healthProbeMs`. The connection alone is not enough: a
   * node on the minority side of a partition keeps its clients connected while no stream leader
   * answers, and the dispatcher's lease must move to a worker whose queue works.
   */
  private async probeJetStream(): Promise<void> {
    const { signal } = this.closing;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.healthProbeMs);
        timer.unref();
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (signal.aborted) return;
      let answers: boolean;
      try {
        // A stream leader cut off from its replicas still answers from its own state: the stream
        // works only while the leader sees a majority of its group current.
        answers = hasQuorum((await this.jsm.streams.info(this.options.stream)).cluster);
      } catch (error) {
        // An error the server sent (stream not found, …) is an answer; a timeout or 503 is not.
        answers = answeredByServer(error);
      }
      if (answers !== this.jetStreamAnswers) {
        this.jetStreamAnswers = answers;
        if (answers) this.options.logger.info({ stream: this.options.stream }, 'JetStream answers again');
        else this.options.logger.warn({ stream: this.options.stream }, 'JetStream does not answer');
      }
    }
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new WorkQueueClosed();
  }
}

/**
 * Ends a pull the consumer left early (its caller stopped iterating). Messages the pull already
 * received but nobody took are nacked, so another consumer gets them now, not after the ack wait.
 */
function giveBack(batch: ConsumerMessages, messages: AsyncIterator<JsMsg>): void {
  // Not awaited: the batch only reports itself closed once its iterator has been drained.
  void batch.close();
  void (async () => {
    try {
      for (let next = await messages.next(); !next.done; next = await messages.next()) next.value.nak();
    } catch {
      // The pull failed or the connection closed: the server redelivers after the ack wait.
    }
  })();
}

/** Whether a stream's Raft group has a leader and a majority of its members current. */
export function hasQuorum(cluster: ClusterInfo | undefined): boolean {
  // A stream on a single server (no cluster) has nobody to lose.
  if (!cluster) return true;
  if (!cluster.leader) return false;
  const replicas = cluster.replicas ?? [];
  const current = replicas.filter((peer) => peer.current && !peer.offline).length;
  return (current + 1) * 2 > replicas.length + 1;
}
