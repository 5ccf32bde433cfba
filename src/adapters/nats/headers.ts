import { headers as createHeaders, type MsgHdrs } from 'nats';
import { propertyNameProblem, type MessageContext } from '../../domain/context/index.js';
import { PermanentAdapterError } from '../errors.js';
import { HEADER_PREFIX } from './context.js';
import { NATS_ERROR } from './errors.js';

/** Printable ASCII without `:` and blanks, as the NATS (and HTTP) header grammar allows. */
const HEADER_NAME = /^[!-9;-~]+$/;

/**
 * `Nats-*` headers steer the server (`Nats-Msg-Id` de-duplication, `Nats-Expected-*` guards,
 * `Nats-Rollup`, `Nats-TTL`): copied from a received message onto a new one they would have it
 * dropped as a duplicate or refused, so they are never taken from context properties.
 */
function isReserved(name: string): boolean {
  return name.toLowerCase().startsWith('nats-');
}

/** Each header as `NATS.Header.<name>`; a name that cannot be a property name is left out. */
export function headerProperties(headers: MsgHdrs | undefined): Record<string, string> {
  const properties: Record<string, string> = {};
  if (!headers) return properties;
  for (const [name, values] of headers) {
    const property = `${HEADER_PREFIX}${name}`;
    if (propertyNameProblem(property) === undefined) properties[property] = values.join(', ');
  }
  return properties;
}

/**
 * Headers from the `NATS.Header.*` properties, promoted or written. A name or value that cannot
 * go into a header (a CR or LF would end the header block early) fails the send rather than
 * being altered or dropped without a word.
 */
export function headersFromContext(context: MessageContext): MsgHdrs {
  const headers = createHeaders();
  for (const set of [context.written, context.promoted]) {
    for (const [property, value] of Object.entries(set)) {
      if (!property.startsWith(HEADER_PREFIX) || value === null) continue;
      const name = property.slice(HEADER_PREFIX.length);
      if (isReserved(name)) continue;
      const text = String(value);
      if (!HEADER_NAME.test(name) || /[\r\n]/.test(text)) {
        throw new PermanentAdapterError(
          NATS_ERROR.HEADER_INVALID,
          `context property ${JSON.stringify(property)} cannot be a NATS header (name or value not allowed)`,
        );
      }
      headers.set(name, text);
    }
  }
  return headers;
}
