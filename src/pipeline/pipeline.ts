import type { PipelineStep } from '../domain/config/bindings.js';
import { ParsedBodies } from './body.js';
import type { PipelineComponent, PipelineMessage } from './component.js';
import { ComponentProblem, PipelineConfigInvalid, PipelineFailure, type PipelineStepRef } from './errors.js';
import { jsonValidate } from './json-validate.js';
import { passthrough } from './passthrough.js';
import { promote } from './promote.js';
import { split } from './split.js';
import { xmlWellFormed } from './xml-wellformed.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface PipelineOptions {
  /** Larger bodies fail with `BODY_TOO_LARGE` before any step parses them. */
  readonly maxBodyBytes?: number;
}

export type ReceivePipeline = (message: PipelineMessage) => Promise<PipelineMessage[]>;

/**
 * Compiles a receive location's steps once (schemas, paths), refusing a bad configuration with
 * `PipelineConfigInvalid`. The result runs the steps in order; each step after a split runs on
 * every record. It resolves to one or more messages or rejects with a `PipelineFailure`.
 */
export function compilePipeline(steps: readonly PipelineStep[], options: PipelineOptions = {}): ReceivePipeline {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const components = steps.map((step, index) => {
    const ref: PipelineStepRef = { index, component: step.component };
    return { ref, component: compileStep(step, ref) };
  });
  const splits = components.filter((c) => c.component.name === 'split');
  if (splits.length > 1) {
    // Records carry one batch position; a split of a split would need a nested one.
    throw new PipelineConfigInvalid(
      splits[1]!.ref,
      `only one split step is allowed (another is at ${splits[0]!.ref.index})`,
    );
  }

  return async (message) => {
    if (message.body.length > maxBodyBytes) {
      throw new PipelineFailure(
        'BODY_TOO_LARGE',
        undefined,
        `the body is ${message.body.length} bytes, over the limit of ${maxBodyBytes}`,
      );
    }
    const bodies = new ParsedBodies();
    let current = [message];
    for (const { ref, component } of components) {
      const next: PipelineMessage[] = [];
      for (const input of current) {
        // A loop rather than push(...out): a split of a large batch would overflow the call's arguments.
        for (const output of await run(component, ref, input, bodies)) next.push(output);
      }
      current = next;
    }
    return current;
  };
}

function compileStep(step: PipelineStep, ref: PipelineStepRef): PipelineComponent {
  switch (step.component) {
    case 'passthrough':
      return passthrough();
    case 'json-validate':
      return jsonValidate(step.schema, ref);
    case 'xml-wellformed':
      return xmlWellFormed();
    case 'promote':
      return promote(step.properties, ref);
    case 'split':
      return split(step.path, ref);
    default: {
      // Reached only by configuration that bypassed the bindings schema.
      const unknown = (step as { component?: unknown }).component;
      throw new PipelineConfigInvalid(ref, `unknown component ${JSON.stringify(unknown)}`);
    }
  }
}

async function run(
  component: PipelineComponent,
  ref: PipelineStepRef,
  message: PipelineMessage,
  bodies: ParsedBodies,
): Promise<PipelineMessage[]> {
  let output: PipelineMessage[];
  try {
    output = await component.process(message, bodies);
  } catch (error) {
    if (error instanceof ComponentProblem) {
      throw new PipelineFailure(error.code, ref, error.detail, error.details, { cause: error.cause ?? error });
    }
    // A component or library fault on this body would recur on every retry, so it suspends the
    // message like any other failure, with the original error kept as the cause.
    const text = error instanceof Error ? error.message : String(error);
    throw new PipelineFailure('COMPONENT_ERROR', ref, `unexpected error: ${text}`, {}, { cause: error });
  }
  // The received message must turn into something the engine records; an empty result would drop it.
  if (output.length === 0) throw new PipelineFailure('COMPONENT_ERROR', ref, 'the component returned no message');
  return output;
}
