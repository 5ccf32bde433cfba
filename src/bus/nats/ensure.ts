import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo,
} from 'nats';
import { WorkQueueMisconfigured } from '../errors.js';
import type { ResolvedNatsOptions } from './options.js';
import { apiErrorCode, JS_CONSUMER_NOT_FOUND, JS_STREAM_NOT_FOUND } from './translate-errors.js';

/**
 * Creates the work-queue stream and the shared durable consumer, or brings existing ones to the
 * configured settings. Safe to run from many workers at once and again at any time: that is how a
 * consumer recovers after its stream was deleted or the server lost it.
 */
export async function ensureStreamAndConsumer(jsm: JetStreamManager, options: ResolvedNatsOptions): Promise<void> {
  await ensureStream(jsm, options);
  await ensureConsumer(jsm, options);
}

async function ensureStream(jsm: JetStreamManager, o: ResolvedNatsOptions): Promise<void> {
  const subjects = [`${o.subjectPrefix}.>`];
  const duplicateWindow = nanos(o.duplicateWindowMs);
  let info = await orUndefined(jsm.streams.info(o.stream), JS_STREAM_NOT_FOUND);
  if (!info) {
    // Identical concurrent adds from other workers succeed too; only a different config conflicts.
    info = await jsm.streams.add({
      name: o.stream,
      subjects,
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: o.replicas,
      duplicate_window: duplicateWindow,
    });
  }
  if (info.config.retention !== RetentionPolicy.Workqueue) {
    throw new WorkQueueMisconfigured(
      `stream ${o.stream} exists with ${info.config.retention} retention; the work queue needs workqueue retention`,
    );
  }
  const config = info.config;
  const sameSubjects = config.subjects?.length === 1 && config.subjects[0] === subjects[0];
  if (!sameSubjects || config.duplicate_window !== duplicateWindow || config.num_replicas !== o.replicas) {
    await jsm.streams.update(o.stream, {
      ...config,
      subjects,
      duplicate_window: duplicateWindow,
      num_replicas: o.replicas,
    });
  }
}

async function ensureConsumer(jsm: JetStreamManager, o: ResolvedNatsOptions): Promise<void> {
  const ackWait = nanos(o.ackWaitMs);
  const info = await orUndefined(jsm.consumers.info(o.stream, o.durable), JS_CONSUMER_NOT_FOUND);
  if (!info) {
    await jsm.consumers.add(o.stream, {
      durable_name: o.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      // Unlimited: an item is never dropped for being redelivered too often. The reconciler and
      // the send port's retry policy decide when work gives up, from the event store.
      max_deliver: -1,
      max_ack_pending: o.maxAckPending,
    });
    return;
  }
  if (info.config.ack_wait !== ackWait || info.config.max_ack_pending !== o.maxAckPending) {
    await jsm.consumers.update(o.stream, o.durable, { ack_wait: ackWait, max_ack_pending: o.maxAckPending });
  }
}

async function orUndefined<T extends StreamInfo | ConsumerInfo>(request: Promise<T>, notFound: number) {
  try {
    return await request;
  } catch (error) {
    if (apiErrorCode(error) === notFound) return undefined;
    throw error;
  }
}
