import type { PipelineStep } from '../domain/config/bindings.js';
import { SignalboxError } from '../domain/errors.js';
import type { MessageContext } from '../domain/events/index.js';
import { compilePipeline } from '../pipeline/pipeline.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { EventStore } from '../store/event-store.js';
import { messageIdFromSource } from '../store/message-id.js';
import { readBody } from './message-body.js';
import { batchPartId, createSubmit, type Routing } from './receiver/submit.js';
import type { ReceivedEvent } from './sender/deliver.js';

export type ResubmitOutcome =
  | { readonly ok: true; readonly messageIds: readonly string[] }
  | { readonly ok: false; readonly code: 'NO_LOCATION' | 'PIPELINE_FAILED'; readonly reason: string };

/** Resubmits a message that failed its receive pipeline: see `resubmitter`. */
export type Resubmit = (received: ReceivedEvent, actor: string) => Promise<ResubmitOutcome>;

export interface ResubmitOptions {
  readonly store: EventStore;
  readonly blobs: BlobStore;
  /** The pipeline of a receive location as configured now; undefined when it is gone. */
  readonly pipelineOf: (location: string) => readonly PipelineStep[] | undefined;
  readonly routing: () => Routing;
}

/**
 * Runs a suspended message's kept body through its location's pipeline as configured now, and
 * when it passes receives the result as new messages (routed as any receipt). Their ids derive
 * from the original's, so a resubmission repeated after a crash receives nothing twice. A body
 * that fails again is refused with the pipeline's reason, and nothing is written.
 */
export function resubmitter(options: ResubmitOptions): Resubmit {
  return async (received, actor) => {
    const { data } = received;
    const steps = options.pipelineOf(data.receiveLocation);
    if (!steps) {
      return {
        ok: false,
        code: 'NO_LOCATION',
        reason: `receive location ${data.receiveLocation} is not configured now`,
      };
    }
    const pipeline = compilePipeline(steps);
    const body = await readBody(data.body, options.blobs);
    const sourceKey = `resubmit:${data.messageId}`;
    const messageId = messageIdFromSource(data.receiveLocation, sourceKey);
    // As the receipt gives it to the pipeline (`createSubmit`): the new message's own id.
    const context: MessageContext = {
      promoted: data.context.promoted,
      written: { ...data.context.written, 'BTS.MessageID': messageId },
    };
    const message = { body, ...(data.contentType === undefined ? {} : { contentType: data.contentType }) };
    let results: Awaited<ReturnType<typeof pipeline>>;
    try {
      results = await pipeline({ ...message, context });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const code = error instanceof SignalboxError ? `${error.code}: ` : '';
      return { ok: false, code: 'PIPELINE_FAILED', reason: `${code}${reason}` };
    }
    const submit = createSubmit({
      store: options.store,
      blobs: options.blobs,
      location: {
        name: data.receiveLocation,
        receivePort: data.receivePort ?? data.receiveLocation,
        adapter: data.adapter,
      },
      // The same body and context as just run: its results, not a second run.
      pipeline: () => Promise.resolve(results),
      routing: options.routing,
      actor,
    });
    const parts = data.parts
      ? await Promise.all(
          data.parts.map(async (p) => ({
            name: p.name,
            ...(p.contentType === undefined ? {} : { contentType: p.contentType }),
            body: await readBody(p.body, options.blobs),
          })),
        )
      : undefined;
    await submit({ ...message, sourceKey, context, ...(parts ? { parts } : {}) });
    const ids = results.some((r) => r.batch)
      ? results.map((_, i) => batchPartId(data.receiveLocation, sourceKey, i))
      : [messageId];
    return { ok: true, messageIds: ids };
  };
}
