import type { PipelineComponent } from './component.js';

/**
 * Refuses a body that is not well-formed UTF-8 XML with exactly one root element. The parsed
 * document is kept for the steps after it (promote, split), so checking costs no second parse.
 */
export function xmlWellFormed(): PipelineComponent {
  return {
    name: 'xml-wellformed',
    process(message, bodies) {
      bodies.xml(message.body);
      return [message];
    },
  };
}
