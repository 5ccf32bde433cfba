import type { MessageContext } from '../domain/events/message-events.js';
import type { ParsedBodies } from './body.js';

/** One message as the receive pipeline sees it; components return new ones and never change their input. */
export interface PipelineMessage {
  readonly body: Buffer;
  readonly contentType?: string;
  readonly context: MessageContext;
  /**
   * Set by a split: this message's place in the batch. The engine gives each message its own id
   * and records `batch: { batchId, index, count }`, the batch id being the received message's.
   */
  readonly batch?: { readonly index: number; readonly count: number };
}

/**
 * A receive pipeline component: one message in, one or more out, or a thrown `ComponentProblem`
 * (which the pipeline reports with the step's index and name). Its configuration is compiled
 * before the first message, so `process` does no per-message setup.
 */
export interface PipelineComponent {
  readonly name: string;
  /** `bodies` parses each body once per run for every component that reads it. */
  process(message: PipelineMessage, bodies: ParsedBodies): PipelineMessage[] | Promise<PipelineMessage[]>;
}
