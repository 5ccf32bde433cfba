export type { PipelineComponent, PipelineMessage } from './component.js';
export {
  PipelineConfigInvalid,
  PipelineFailure,
  pipelineFailureCodes,
  type FailureDetails,
  type PipelineFailureCode,
  type PipelineStepRef,
} from './errors.js';
export { formatPointer, parsePointer, resolvePointer } from './json-pointer.js';
export { compilePipeline, DEFAULT_MAX_BODY_BYTES, type PipelineOptions, type ReceivePipeline } from './pipeline.js';
export { parseXmlPath } from './xml-path.js';
