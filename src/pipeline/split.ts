import { XMLBuilder } from 'fast-xml-parser';
import type { MessageContext } from '../domain/events/message-events.js';
import { bodyFormat, type ParsedBodies } from './body.js';
import { compileBodyPath, notApplicable, type BodyPath } from './body-path.js';
import type { PipelineComponent, PipelineMessage } from './component.js';
import { ComponentProblem, PipelineConfigInvalid, type PipelineStepRef } from './errors.js';
import { describe, resolvePointer } from './json-pointer.js';
import {
  ATTRIBUTE_PREFIX,
  ATTRIBUTES_KEY,
  attributesOf,
  selectElements,
  type XmlMatch,
  type XmlNode,
} from './xml-path.js';

// Same node shape as the parser in body.ts; text is escaped again on the way out.
const xmlBuilder = new XMLBuilder({ preserveOrder: true, ignoreAttributes: false });

/**
 * Splits a batch into one message per record: the elements of the JSON array at a pointer, or the
 * XML elements a path selects (`/Orders/Order`). Each record keeps the batch's content type and a
 * copy of its context, and says its place in the batch. An empty batch fails rather than yielding
 * no message, so the received body is suspended for a person to look at instead of vanishing.
 */
export function split(source: string, ref: PipelineStepRef): PipelineComponent {
  const compiled = compileBodyPath(source, { elementsOnly: true });
  if (!compiled.ok) throw new PipelineConfigInvalid(ref, compiled.reason);
  const path = compiled.path;

  return {
    name: 'split',
    process(message, bodies) {
      const records =
        bodyFormat(message.body, message.contentType) === 'json'
          ? jsonRecords(message, bodies, path)
          : xmlRecords(message, bodies, path);
      return records.map((body, index) => ({
        body,
        ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
        context: copy(message.context),
        batch: { index, count: records.length },
      }));
    },
  };
}

function jsonRecords(message: PipelineMessage, bodies: ParsedBodies, path: BodyPath): Buffer[] {
  if ('reason' in path.json) throw notApplicable(path, 'json', path.json.reason);
  const found = resolvePointer(bodies.json(message.body), path.json.tokens);
  if (!found.found) throw new ComponentProblem('SPLIT_PATH_MISSING', `nothing at ${path.source} (${found.reason})`);
  if (!Array.isArray(found.value)) {
    throw new ComponentProblem('SPLIT_NOT_ARRAY', `${path.source} is ${describe(found.value)}, not an array`);
  }
  if (found.value.length === 0) throw new ComponentProblem('SPLIT_EMPTY', `${path.source} is an empty array`);
  return found.value.map((record) => Buffer.from(JSON.stringify(record), 'utf8'));
}

function xmlRecords(message: PipelineMessage, bodies: ParsedBodies, path: BodyPath): Buffer[] {
  if ('reason' in path.xml) throw notApplicable(path, 'xml', path.xml.reason);
  const { steps } = path.xml.path;
  const selection = selectElements(bodies.xml(message.body), steps);
  if (!selection.found) {
    // Parents present but no record under them is an empty batch; a missing parent is a wrong path.
    const empty = steps.length > 1 && selection.matched === steps.length - 1;
    throw new ComponentProblem(
      empty ? 'SPLIT_EMPTY' : 'SPLIT_PATH_MISSING',
      `nothing at ${path.source} (${selection.reason})`,
    );
  }
  return selection.matches.map((match) => Buffer.from(xmlBuilder.build([standalone(match)]), 'utf8'));
}

/**
 * The element with the namespace declarations it inherited from its ancestors, so that
 * `<b:Order>` cut out of `<b:Orders xmlns:b="…">` still binds its prefix. Its own declarations
 * win over inherited ones, nearer ancestors over farther.
 */
function standalone({ element, ancestors }: XmlMatch): XmlNode {
  const inherited: Record<string, string> = {};
  for (const ancestor of ancestors) {
    for (const [name, value] of Object.entries(attributesOf(ancestor))) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) inherited[ATTRIBUTE_PREFIX + name] = value;
    }
  }
  if (Object.keys(inherited).length === 0) return element;
  const own = element[ATTRIBUTES_KEY] as Record<string, unknown> | undefined;
  return { ...element, [ATTRIBUTES_KEY]: { ...inherited, ...own } };
}

function copy(context: MessageContext): MessageContext {
  return { promoted: { ...context.promoted }, written: { ...context.written } };
}
