import type { z } from 'zod';
import { SchemaViolation } from '../errors.js';
import { propertyValue } from '../events/define.js';
import type { MessageContext } from '../events/message-events.js';
import { ContextPropertyMissing } from './errors.js';
import { assertPropertyName } from './names.js';

export type { MessageContext } from '../events/message-events.js';
export type PropertyValue = z.infer<typeof propertyValue>;

/*
 * A context is immutable here: every helper returns a new one. A name lives in at most one of
 * the two sets, as in BizTalk: writing a promoted property demotes it, promoting a written one
 * moves it. Only promoted properties are visible to subscription filters.
 */

export function emptyContext(): MessageContext {
  return { promoted: {}, written: {} };
}

/** Sets `name` as a written (not routable) property, demoting it if it was promoted. */
export function writeProperty(context: MessageContext, name: string, value: PropertyValue): MessageContext {
  assertPropertyName(name);
  checkValue(name, value);
  const { [name]: _demoted, ...promoted } = context.promoted;
  return { promoted, written: { ...context.written, [name]: value } };
}

/**
 * Sets `name` as a promoted (routable) property. Without `value` it promotes the value the
 * context already holds for `name`, and fails with `ContextPropertyMissing` when there is none.
 */
export function promoteProperty(context: MessageContext, name: string, value?: PropertyValue): MessageContext {
  assertPropertyName(name);
  let promotedValue: PropertyValue;
  if (value !== undefined) promotedValue = value;
  else {
    const current = readProperty(context, name);
    if (current === undefined) throw new ContextPropertyMissing(name);
    promotedValue = current;
  }
  checkValue(name, promotedValue);
  const { [name]: _moved, ...written } = context.written;
  return { promoted: { ...context.promoted, [name]: promotedValue }, written };
}

/** The value of `name` from whichever set holds it; `undefined` when neither does. */
export function readProperty(context: MessageContext, name: string): PropertyValue | undefined {
  if (Object.hasOwn(context.promoted, name)) return context.promoted[name];
  if (Object.hasOwn(context.written, name)) return context.written[name];
  return undefined;
}

export function isPromoted(context: MessageContext, name: string): boolean {
  return Object.hasOwn(context.promoted, name);
}

export function removeProperty(context: MessageContext, name: string): MessageContext {
  const { [name]: _p, ...promoted } = context.promoted;
  const { [name]: _w, ...written } = context.written;
  return { promoted, written };
}

/**
 * Later contexts win: a property set in an overlay takes the overlay's value *and* its set, so
 * an overlay that writes a property the base promoted demotes it, as a later `write` would.
 */
export function mergeContexts(base: MessageContext, ...overlays: MessageContext[]): MessageContext {
  let merged = base;
  for (const overlay of overlays) {
    for (const [name, value] of Object.entries(overlay.written)) merged = writeProperty(merged, name, value);
    for (const [name, value] of Object.entries(overlay.promoted)) merged = promoteProperty(merged, name, value);
  }
  return merged;
}

function checkValue(name: string, value: unknown): void {
  const result = propertyValue.safeParse(value);
  if (!result.success) {
    throw new SchemaViolation(
      `context property ${name}`,
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
}
