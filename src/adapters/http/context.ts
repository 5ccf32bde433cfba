import { z } from 'zod';
import { defineContextNamespace } from '../../domain/context/index.js';

/**
 * The HTTP adapter's context properties. Open, because selected headers become
 * `HTTP.Header.<name>` (lowercased), with names that come from the wire.
 */
export const HTTP = defineContextNamespace(
  'HTTP',
  {
    /** receive: the request method (promoted). */
    Method: z.string().min(1),
    /** receive: the request path without its query (promoted). */
    Path: z.string().min(1),
    /** receive: the request's query string without `?` (written). */
    Query: z.string(),
    /** The body's media type: of the request on receive, of the response on solicit-response (promoted). */
    ContentType: z.string().min(1),
    /** receive: the client's address (written). */
    RemoteAddress: z.string().min(1),
    /** receive: the `Idempotency-Key` the client sent (written). */
    IdempotencyKey: z.string().min(1),
    /** solicit-response: the status of the response that became this message (written). */
    StatusCode: z.number().int().min(100).max(599),
  },
  { open: true },
);

/** `HTTP.Header.<name>`: a selected header, its name lowercased (several values joined with `, `). */
export const HEADER_PREFIX = 'HTTP.Header.';

/**
 * Headers whose values may be credentials: never copied into context properties (they are stored
 * in events, shown in views and API answers), whatever a configuration asks for.
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);
