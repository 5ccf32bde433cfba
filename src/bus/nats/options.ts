import { z } from 'zod';
import { SchemaViolation } from '../../domain/errors.js';
import { DEFAULT_NACK_BACKOFF_MS } from '../backoff.js';
import { defaultBusLogger, type BusLogger } from '../logger.js';

const natsName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
const subjectPrefix = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens, no wildcards');

const optionsSchema = z.object({
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** The work-queue stream. Every worker of one Signalbox installation names the same one. */
  stream: natsName.default('SIGNALBOX_WORK'),
  /** The stream takes `<prefix>.>`; work is published to `<prefix>.send.<port>`. */
  subjectPrefix: subjectPrefix.default('signalbox.work'),
  /** The one durable pull consumer all workers share, which is what makes them compete. */
  durable: natsName.default('signalbox-send-workers'),
  /** Stream replicas: 1 on a single server, 3 on a cluster. */
  replicas: z.number().int().min(1).max(5).default(1),
  /** The consumer's ack wait. All workers should agree: the last to start sets it. */
  ackWaitMs: z.number().int().min(100).default(30_000),
  /** The stream's duplicate window: a `Nats-Msg-Id` seen within it is dropped. */
  duplicateWindowMs: z.number().int().min(100).default(120_000),
  /**
   * Most unacked messages the consumer hands out at once, across all workers. Above JetStream's
   * default of 1,000 because items nacked with a delay (and items waiting for `notBefore`) count
   * against it until they are delivered again.
   */
  maxAckPending: z.number().int().min(1).default(20_000),
  /** How long one pull waits for messages before the next is made, in ms (nats.js minimum 1,000). */
  fetchExpiresMs: z.number().int().min(1_000).default(5_000),
  /** Deadline of publishes, acks and stream/consumer management calls, in ms. */
  requestTimeoutMs: z.number().int().min(100).default(5_000),
  nackBackoffMs: z.array(z.number().int().nonnegative()).default([...DEFAULT_NACK_BACKOFF_MS]),
  /**
   * How often JetStream is asked whether it answers, in ms; `isHealthy` (the dispatcher lease's
   * dependency) is false while it does not.
   */
  healthProbeMs: z.number().int().min(100).default(2_000),
  /** The connection's name, as the server's monitoring shows it. */
  connectionName: z.string().default('signalbox-work-queue'),
});

export type NatsWorkQueueOptions = z.input<typeof optionsSchema> & { readonly logger?: BusLogger };
export type ResolvedNatsOptions = Readonly<z.output<typeof optionsSchema>> & { readonly logger: BusLogger };

/** Applies the defaults once and refuses bad options with the path of every bad field. */
export function resolveNatsOptions(options: NatsWorkQueueOptions): ResolvedNatsOptions {
  const { logger, ...rest } = options;
  const result = optionsSchema.safeParse(rest);
  if (!result.success) {
    throw new SchemaViolation(
      'NATS work queue options',
      result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  return { ...result.data, logger: logger ?? defaultBusLogger() };
}
