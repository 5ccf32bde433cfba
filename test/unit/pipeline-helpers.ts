import { expect } from 'vitest';
import type { PipelineStep } from '../../src/domain/config/bindings.js';
import type { MessageContext } from '../../src/domain/events/message-events.js';
import { compilePipeline, PipelineFailure, type PipelineMessage } from '../../src/pipeline/index.js';

export function message(body: string | Buffer, contentType?: string, context?: MessageContext): PipelineMessage {
  return {
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    ...(contentType === undefined ? {} : { contentType }),
    context: context ?? { promoted: {}, written: {} },
  };
}

export function run(steps: PipelineStep[], body: string | Buffer, contentType?: string): Promise<PipelineMessage[]> {
  return compilePipeline(steps)(message(body, contentType));
}

/** The `PipelineFailure` the run rejects with; fails the test if it resolves or throws anything else. */
export async function failureOf(pending: Promise<unknown>): Promise<PipelineFailure> {
  const outcome = await pending.then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  if ('resolved' in outcome) throw new Error(`expected a PipelineFailure, got ${JSON.stringify(outcome.resolved)}`);
  expect(outcome.rejected).toBeInstanceOf(PipelineFailure);
  return outcome.rejected as PipelineFailure;
}

/** Asserts the parts of a failure every caller relies on: its code, its step and that it names the step. */
export function expectFailure(failure: PipelineFailure, code: string, index: number, component: string): void {
  expect(failure.code).toBe(code);
  expect(failure.retryable).toBe(false);
  expect(failure.step).toEqual({ index, component });
  expect(failure.message).toContain(`pipeline[${index}] (${component})`);
}

export function text(m: PipelineMessage): string {
  return m.body.toString('utf8');
}
