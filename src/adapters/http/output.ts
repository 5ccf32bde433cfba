import { once } from 'node:events';
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { emptyContext, mergeContexts } from '../../domain/context/index.js';
import { SignalboxError } from '../../domain/errors.js';
import type { OutboundMessage, SendHandler, SendOutcome, SendPortRuntimeInfo } from '../adapter.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import { authorizationHeader, CachedSecret } from './auth.js';
import type { HttpSendConfig } from './config.js';
import { HTTP } from './context.js';
import { HTTP_ERROR, statusError, transportError } from './errors.js';
import { headersFromContext } from './headers.js';
import { selectedHeaders } from './request-context.js';
import { makeAgent } from './tls.js';

/** How much of an error answer's body goes into the failure message. */
const ERROR_BODY_BYTES = 300;

/**
 * POSTs (or PUTs) each message's body, streamed from the store, to a URL. A 2xx answer is a
 * sent message; 5xx, 408, 425 and 429 and a failed connection are `TransientAdapterError`s
 * (the port retries), any other status a `PermanentAdapterError` carrying the status. With
 * `solicitResponse`, a 2xx answer's body becomes a new message correlated to this one.
 */
export class HttpSendHandler implements SendHandler {
  private agent: Promise<Agent> | undefined;
  private readonly secret: CachedSecret | undefined;

  constructor(
    private readonly config: HttpSendConfig,
    private readonly port: SendPortRuntimeInfo,
  ) {
    const auth = config.auth;
    this.secret = auth ? new CachedSecret(port.secrets, auth.type === 'basic' ? auth.password : auth.token) : undefined;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendOutcome> {
    signal.throwIfAborted();
    const { config } = this;
    const url = new URL(config.url);
    const what = `${config.method} ${url.origin}${url.pathname}`;
    const headers = headersFromContext(config, message.context);
    headers['content-type'] = config.contentType ?? message.contentType ?? 'application/octet-stream';
    if (config.idempotencyKey) headers['idempotency-key'] = `${message.messageId}:${message.port}`;
    if (config.auth) headers.authorization = await authorizationHeader(config.auth, this.secret!);
    // A known size goes as Content-Length: servers that refuse chunked uploads (411) take it.
    if (message.bodySize !== undefined) headers['content-length'] = String(message.bodySize);
    const agent = await this.connect();
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const deadline = AbortSignal.any([signal, timeout]);
    const body = await message.openBody();
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: config.method,
      headers,
      agent,
      signal: deadline,
    });
    // The body's own failure (a damaged blob) ends the request; the answer may also come early
    // (a 413 before the body is through), and then the unfinished upload does not matter.
    pipeline(body, request).catch(() => undefined);
    try {
      const [response] = (await once(request, 'response')) as [IncomingMessage];
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const start = await readUpTo(response, ERROR_BODY_BYTES, false);
        throw statusError(status, response.statusMessage ?? '', what, printable(start));
      }
      const outcome = { address: config.url, properties: { status } };
      if (!config.solicitResponse) {
        response.resume();
        return outcome;
      }
      const bytes = await readUpTo(response, config.maxResponseBytes, true);
      const contentType = response.headers['content-type'];
      let context = HTTP.write(emptyContext(), 'StatusCode', status);
      if (contentType) context = HTTP.promote(context, 'ContentType', contentType);
      context = mergeContexts(context, {
        promoted: selectedHeaders(response.headers, config.responseHeaders),
        written: {},
      });
      return { ...outcome, response: { body: bytes, ...(contentType ? { contentType } : {}), context } };
    } catch (error) {
      request.destroy();
      if (signal.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new TransientAdapterError(
          HTTP_ERROR.TIMEOUT,
          `${what}: no complete answer within ${config.timeoutMs} ms`,
          {
            cause: error,
          },
        );
      }
      if (error instanceof SignalboxError) throw error;
      throw transportError(error, what);
    }
  }

  async close(): Promise<void> {
    const agent = await this.agent?.catch(() => undefined);
    this.agent = undefined;
    agent?.destroy();
  }

  private async connect(): Promise<Agent> {
    const pending = (this.agent ??= makeAgent(this.config, this.port.secrets));
    try {
      return await pending;
    } catch (error) {
      // A missing secret or CA file: try again on the next send, after an operator fixed it.
      if (this.agent === pending) this.agent = undefined;
      throw error;
    }
  }
}

/**
 * Reads a response body up to `max` bytes. `strict`: more is an error (a solicit-response body
 * must be whole); otherwise what came first is kept and the rest dropped.
 */
async function readUpTo(response: IncomingMessage, max: number, strict: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    const data = chunk as Buffer;
    size += data.length;
    if (size > max) {
      response.destroy();
      if (strict) {
        throw new PermanentAdapterError(
          HTTP_ERROR.RESPONSE_TOO_LARGE,
          `the response body is larger than maxResponseBytes (${max})`,
        );
      }
      chunks.push(data.subarray(0, data.length - (size - max)));
      return Buffer.concat(chunks);
    }
    chunks.push(data);
  }
  return Buffer.concat(chunks, size);
}

/** The start of an error answer as one line of text, for the failure's message. */
function printable(bytes: Buffer): string {
  return bytes
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim();
}
