import type { OutgoingHttpHeaders } from 'node:http';
import type { MessageContext } from '../../domain/context/index.js';
import { PermanentAdapterError } from '../errors.js';
import type { HttpSendConfig } from './config.js';
import { CREDENTIAL_HEADERS, HEADER_PREFIX } from './context.js';
import { HTTP_ERROR } from './errors.js';

/** Headers that describe one connection or one framing, never a message: not forwarded. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'content-type',
  'idempotency-key',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function valueOf(context: MessageContext, property: string): string | undefined {
  const value = context.promoted[property] ?? context.written[property];
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * The headers a send carries from context properties: the port's mapping (header → property),
 * and with `forwardHeaders` every `HTTP.Header.<name>` except connection, framing and credential
 * headers. A value with a line break fails the send rather than being altered.
 */
export function headersFromContext(config: HttpSendConfig, context: MessageContext): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const set = (name: string, value: string, property: string) => {
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
      throw new PermanentAdapterError(
        HTTP_ERROR.HEADER_INVALID,
        `context property ${JSON.stringify(property)} cannot be sent as header ${JSON.stringify(name)}`,
      );
    }
    headers[name.toLowerCase()] = value;
  };
  if (config.forwardHeaders) {
    for (const values of [context.written, context.promoted]) {
      for (const [property, value] of Object.entries(values)) {
        if (!property.startsWith(HEADER_PREFIX) || value === null) continue;
        const name = property.slice(HEADER_PREFIX.length).toLowerCase();
        if (NOT_FORWARDED.has(name) || CREDENTIAL_HEADERS.has(name) || name.startsWith('proxy-')) continue;
        set(name, String(value), property);
      }
    }
  }
  for (const [name, property] of Object.entries(config.headers)) {
    const value = valueOf(context, property);
    if (value !== undefined) set(name, value, property);
  }
  return headers;
}
