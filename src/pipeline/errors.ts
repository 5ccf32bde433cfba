import { SignalboxError } from '../domain/errors.js';

/**
 * Why a message failed its receive pipeline. Every kind is a property of the message itself, so
 * running the pipeline again gives the same answer: none is retryable, and the engine suspends the
 * message with the failure as its reason, keeping the body.
 */
export const pipelineFailureCodes = [
  'BODY_TOO_LARGE',
  'BODY_NOT_UTF8',
  'JSON_INVALID',
  'JSON_SCHEMA_MISMATCH',
  'XML_MALFORMED',
  'XML_UNSUPPORTED',
  'PATH_NOT_APPLICABLE',
  'PROMOTE_PATH_MISSING',
  'PROMOTE_VALUE_NOT_SCALAR',
  'SPLIT_PATH_MISSING',
  'SPLIT_NOT_ARRAY',
  'SPLIT_EMPTY',
  'COMPONENT_ERROR',
] as const;
export type PipelineFailureCode = (typeof pipelineFailureCodes)[number];

/**
 * Where a failure happened: the step's 0-based index in the configured `pipeline` array (messages
 * print it as `pipeline[2]`, as a configuration path would) and its component.
 */
export interface PipelineStepRef {
  readonly index: number;
  readonly component: string;
}

/** Optional precision a component adds when its library gives it. */
export interface FailureDetails {
  /** 1-based line and column in the body (JSON and XML syntax errors). */
  readonly position?: { readonly line: number; readonly column: number };
  /** JSON schema mismatches: where in the document, and which schema keyword refused it. */
  readonly instancePath?: string;
  readonly schemaPath?: string;
}

export class PipelineFailure extends SignalboxError {
  readonly retryable = false;
  readonly position: FailureDetails['position'];
  readonly instancePath: string | undefined;
  readonly schemaPath: string | undefined;

  constructor(
    readonly code: PipelineFailureCode,
    /** Absent when the message failed before any step ran (its size). */
    readonly step: PipelineStepRef | undefined,
    readonly detail: string,
    details: FailureDetails = {},
    options?: { cause?: unknown },
  ) {
    super(`${step ? `receive pipeline[${step.index}] (${step.component})` : 'receive pipeline'}: ${detail}`, options);
    this.position = details.position;
    this.instancePath = details.instancePath;
    this.schemaPath = details.schemaPath;
  }
}

/**
 * A step that cannot be compiled: a schema ajv refuses, a path that is neither a JSON pointer nor
 * an XML path, two split steps. Raised by `compilePipeline`, so a bad configuration is refused
 * before any message meets it.
 */
export class PipelineConfigInvalid extends SignalboxError {
  readonly code = 'PIPELINE_CONFIG_INVALID';
  readonly retryable = false;

  constructor(
    readonly step: PipelineStepRef,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`receive pipeline[${step.index}] (${step.component}) is invalid: ${detail}`, options);
  }
}

/**
 * Thrown inside a component, which does not know where it sits in the pipeline; the pipeline
 * turns it into a `PipelineFailure` naming the step.
 */
export class ComponentProblem extends Error {
  constructor(
    readonly code: PipelineFailureCode,
    readonly detail: string,
    readonly details: FailureDetails = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}
