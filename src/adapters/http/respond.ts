import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** How long an answer given before the body was read waits for the rest before cutting the connection. */
const DISCARD_GRACE_MS = 5_000;

/**
 * Answers with a JSON body. When the request body was not read to its end (refused early: 401,
 * 413, a duplicate), the connection is closed after the answer; what the client still sends is
 * read and thrown away for a moment first, so it gets to read the answer instead of a reset.
 */
export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  const unread = !request.complete;
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(unread ? { connection: 'close' } : {}),
  });
  response.end(text);
  if (unread) discardRest(request);
}

/** Reads and drops the rest of a request body, then (or after a grace period) ends its connection. */
export function discardRest(request: IncomingMessage): void {
  if (request.complete || request.destroyed) return;
  const timer = setTimeout(() => request.socket.destroy(), DISCARD_GRACE_MS);
  timer.unref();
  request.once('end', () => clearTimeout(timer));
  request.once('close', () => clearTimeout(timer));
  request.resume();
}
