import type { PipelineComponent } from './component.js';

/** The message goes on unchanged: the default pipeline, for bodies the engine does not look into. */
export function passthrough(): PipelineComponent {
  return { name: 'passthrough', process: (message) => [message] };
}
