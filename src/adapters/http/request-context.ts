import type { IncomingMessage } from 'node:http';
import { emptyContext, mergeContexts, propertyNameProblem, type MessageContext } from '../../domain/context/index.js';
import { CREDENTIAL_HEADERS, HEADER_PREFIX, HTTP } from './context.js';

/**
 * A request's context: method, path and content type promoted (they route), the query, the
 * client's address and the idempotency key written, and the selected headers promoted as
 * `HTTP.Header.<name>`. Credential headers are never taken, whatever the selection says.
 */
export function requestContext(
  request: IncomingMessage,
  path: string,
  promoteHeaders: readonly string[],
  idempotencyKey: string | undefined,
): MessageContext {
  let context = HTTP.promote(emptyContext(), 'Method', request.method ?? 'POST');
  context = HTTP.promote(context, 'Path', path);
  const contentType = request.headers['content-type'];
  if (contentType) context = HTTP.promote(context, 'ContentType', contentType);
  const query = request.url?.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : undefined;
  if (query) context = HTTP.write(context, 'Query', query);
  const remote = request.socket.remoteAddress;
  if (remote) context = HTTP.write(context, 'RemoteAddress', remote);
  if (idempotencyKey) context = HTTP.write(context, 'IdempotencyKey', idempotencyKey);
  return mergeContexts(context, { promoted: selectedHeaders(request.headers, promoteHeaders), written: {} });
}

/** The selected headers as `HTTP.Header.<name>` properties (several values joined with `, `). */
export function selectedHeaders(
  headers: Record<string, string | string[] | undefined>,
  names: readonly string[],
): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const name of names) {
    if (CREDENTIAL_HEADERS.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const property = `${HEADER_PREFIX}${name}`;
    if (propertyNameProblem(property) === undefined) {
      properties[property] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return properties;
}
