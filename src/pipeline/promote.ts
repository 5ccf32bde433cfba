import type { MessageContext } from '../domain/events/message-events.js';
import { bodyFormat, type ParsedBodies } from './body.js';
import { compileBodyPath, notApplicable, type BodyPath } from './body-path.js';
import type { PipelineComponent, PipelineMessage } from './component.js';
import { ComponentProblem, PipelineConfigInvalid, type PipelineStepRef } from './errors.js';
import { describe, resolvePointer } from './json-pointer.js';
import { attributesOf, formatSteps, leafText, selectElements } from './xml-path.js';

type Scalar = string | number | boolean | null;

/**
 * Copies values from the body into promoted (routable) context properties. JSON values keep their
 * type (numbers stay numbers, `null` is promoted as `null`); XML text and attributes are strings.
 * A path that finds nothing fails the message: routing on a property that silently went missing
 * would send it to the wrong place, or nowhere.
 */
export function promote(properties: Record<string, string>, ref: PipelineStepRef): PipelineComponent {
  const compiled: { name: string; path: BodyPath }[] = [];
  for (const [name, source] of Object.entries(properties)) {
    const path = compileBodyPath(source);
    if (!path.ok) throw new PipelineConfigInvalid(ref, `property "${name}": ${path.reason}`);
    compiled.push({ name, path: path.path });
  }

  return {
    name: 'promote',
    process(message, bodies) {
      const format = bodyFormat(message.body, message.contentType);
      let context = message.context;
      for (const { name, path } of compiled) {
        const value = format === 'json' ? fromJson(message, bodies, path, name) : fromXml(message, bodies, path, name);
        context = promoted(context, name, value);
      }
      return [{ ...message, context }];
    },
  };
}

function fromJson(message: PipelineMessage, bodies: ParsedBodies, path: BodyPath, name: string): Scalar {
  if ('reason' in path.json) throw notApplicable(path, 'json', path.json.reason);
  const found = resolvePointer(bodies.json(message.body), path.json.tokens);
  if (!found.found) throw missing(name, path, found.reason);
  const value = found.value;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  throw new ComponentProblem(
    'PROMOTE_VALUE_NOT_SCALAR',
    `property ${name}: ${path.source} is ${describe(value)}; only a string, number, boolean or null can be promoted`,
  );
}

function fromXml(message: PipelineMessage, bodies: ParsedBodies, path: BodyPath, name: string): Scalar {
  if ('reason' in path.xml) throw notApplicable(path, 'xml', path.xml.reason);
  const { steps, attribute } = path.xml.path;
  const selection = selectElements(bodies.xml(message.body), steps);
  if (!selection.found) throw missing(name, path, selection.reason);
  // As XPath's string value of a node set: the first match in document order.
  if (attribute !== undefined) {
    for (const { element } of selection.matches) {
      const attributes = attributesOf(element);
      if (Object.hasOwn(attributes, attribute)) return attributes[attribute]!;
    }
    throw missing(name, path, `no attribute "${attribute}" on ${formatSteps(steps)}`);
  }
  const text = leafText(selection.matches[0]!.element);
  if (text === undefined) {
    throw new ComponentProblem(
      'PROMOTE_VALUE_NOT_SCALAR',
      `property ${name}: ${path.source} has child elements; only an element holding text alone, or an attribute, can be promoted`,
    );
  }
  return text;
}

function missing(name: string, path: BodyPath, reason: string): ComponentProblem {
  return new ComponentProblem('PROMOTE_PATH_MISSING', `property ${name}: nothing at ${path.source} (${reason})`);
}

/** As in BizTalk, a name lives in one set only: promoting a written property moves it. */
function promoted(context: MessageContext, name: string, value: Scalar): MessageContext {
  const written = { ...context.written };
  delete written[name];
  return { promoted: { ...context.promoted, [name]: value }, written };
}
