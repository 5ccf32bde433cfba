import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type {
  ReceiveContext,
  ReceiveHandler,
  ReceiveLocationRuntime,
  ReplyListener,
  SubmitResult,
} from '../adapter.js';
import { PermanentAdapterError } from '../errors.js';
import { CredentialCheck } from './auth.js';
import { BodyLimit } from './body-limit.js';
import type { HttpReceiveConfig } from './config.js';
import { HTTP_ERROR } from './errors.js';
import { attachRoute, pathOf } from './listener.js';
import { requestContext } from './request-context.js';
import { sendJson } from './respond.js';

/** An `Idempotency-Key`: printable ASCII, as keys are logged and shown in views. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/**
 * Receives POSTed bodies at a path of a (shared) listener. Each body is streamed through the
 * location's size limit into the engine (the blob store for large ones) and answered once it is
 * stored: 202 with the message id, 200 for a repeated `Idempotency-Key`, 413 past the limit, 503
 * when the store failed (nothing was recorded; the client sends again). A request-response
 * location answers with the correlated reply instead, or 504 when none came in time.
 */
export class HttpReceiveHandler implements ReceiveHandler {
  private readonly check: CredentialCheck | undefined;
  private readonly name: string;

  constructor(
    private readonly config: HttpReceiveConfig,
    location: ReceiveLocationRuntime,
  ) {
    this.name = location.name;
    this.check = config.auth ? new CredentialCheck(config.auth, location.secrets) : undefined;
  }

  async run(context: ReceiveContext): Promise<void> {
    const { signal } = context;
    if (signal.aborted) return;
    await this.check?.prepare();
    let replies: ReplyListener | undefined;
    if (this.config.requestResponse) {
      if (!context.replies) {
        throw new PermanentAdapterError(
          HTTP_ERROR.REPLIES_UNAVAILABLE,
          'requestResponse needs an engine that correlates replies; this runner has none',
        );
      }
      replies = await context.replies.open();
    }
    const inFlight = new Set<Promise<void>>();
    const handle = (request: IncomingMessage, response: ServerResponse) => {
      const task = this.handle(request, response, context, replies).catch((error: unknown) => {
        sendJson(request, response, 500, { error: 'INTERNAL', message: String(error) });
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    };
    try {
      const route = await attachRoute(this.config.address, this.config.path, this.name, handle);
      try {
        await untilAborted(signal);
      } finally {
        // New requests no longer come here; those being stored finish and get their answer.
        const detached = route.detach();
        await Promise.allSettled([...inFlight]);
        await detached;
      }
    } finally {
      replies?.close();
    }
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    context: ReceiveContext,
    replies: ReplyListener | undefined,
  ): Promise<void> {
    if (request.method !== 'POST') {
      sendJson(
        request,
        response,
        405,
        { error: 'METHOD_NOT_ALLOWED', message: 'only POST is accepted here' },
        {
          allow: 'POST',
        },
      );
      return;
    }
    if (this.check && !(await this.check.accepts(request.headers.authorization))) {
      sendJson(
        request,
        response,
        401,
        { error: 'UNAUTHORIZED', message: 'missing or wrong credentials' },
        {
          'www-authenticate': this.check.challenge,
        },
      );
      return;
    }
    const limit = this.config.maxBodyBytes;
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (declared > limit) {
      sendJson(request, response, 413, tooLarge(limit));
      return;
    }
    const key = request.headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      sendJson(request, response, 400, {
        error: 'BAD_IDEMPOTENCY_KEY',
        message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
      });
      return;
    }
    const body = new BodyLimit(limit);
    // The request is piped, not handed over: the blob store destroys a source that fails, and
    // destroying the request itself would take the connection (and the 413) with it.
    request.pipe(body);
    request.once('error', (error) => body.destroy(error));
    request.once('close', () => {
      if (!request.complete) body.destroy(new Error('the client closed the connection before the body ended'));
    });
    let result: SubmitResult;
    try {
      result = await context.submit({
        ...(key ? { sourceKey: `idempotency-key:${key}` } : {}),
        body,
        ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
        context: requestContext(request, pathOf(request.url)!, this.config.promoteHeaders, key),
      });
    } catch (error) {
      if (body.exceeded) {
        sendJson(request, response, 413, tooLarge(limit));
      } else if (!request.complete && (request.destroyed || request.readableAborted)) {
        // The client went away mid-body: nothing was stored and nobody is left to answer.
      } else {
        sendJson(
          request,
          response,
          503,
          {
            error: 'STORE_UNAVAILABLE',
            message: `the message could not be stored, nothing was recorded; send it again: ${error instanceof Error ? error.message : String(error)}`,
          },
          { 'retry-after': '1' },
        );
      }
      return;
    }
    if (result.status === 'duplicate') {
      body.destroy();
      sendJson(request, response, 200, { messageId: result.messageId, status: 'duplicate' });
      return;
    }
    if (result.status === 'suspended') {
      sendJson(request, response, 202, { messageId: result.messageId, status: 'suspended', reason: result.reason });
      return;
    }
    const [messageId = ''] = result.messageIds;
    const ids = result.messageIds.length > 1 ? { messageIds: result.messageIds } : {};
    if (!replies || this.config.requestResponse === undefined) {
      sendJson(request, response, 202, { messageId, status: 'received', ...ids });
      return;
    }
    await this.answerWithReply(request, response, replies, messageId, context.signal);
  }

  private async answerWithReply(
    request: IncomingMessage,
    response: ServerResponse,
    replies: ReplyListener,
    messageId: string,
    stopping: AbortSignal,
  ): Promise<void> {
    const timeoutMs = this.config.requestResponse!.timeoutMs;
    // A client that hangs up stops the wait; so does the location stopping.
    const gone = new AbortController();
    const hangUp = () => gone.abort();
    response.once('close', hangUp);
    const signal = AbortSignal.any([gone.signal, stopping]);
    try {
      const reply = await replies.wait(messageId, { timeoutMs, signal });
      if (gone.signal.aborted) return;
      if (!reply) {
        const status = stopping.aborted ? 503 : 504;
        sendJson(request, response, status, {
          messageId,
          error: stopping.aborted ? 'STOPPING' : 'REPLY_TIMEOUT',
          message: stopping.aborted
            ? 'the receiver is stopping; the request is stored and goes on without this answer'
            : `no reply within ${timeoutMs} ms; the request is stored and goes on`,
        });
        return;
      }
      const contentType = reply.contentType ?? 'application/octet-stream';
      response.writeHead(200, {
        'content-type': contentType,
        'signalbox-message-id': messageId,
        'signalbox-reply-id': reply.messageId,
      });
      await pipeline(await reply.openBody(), response);
    } finally {
      response.off('close', hangUp);
    }
  }
}

function tooLarge(limit: number) {
  return {
    error: 'PAYLOAD_TOO_LARGE',
    message: `the request body is larger than this location's limit of ${limit} bytes; nothing was stored`,
    limit,
  };
}

/** Resolves once `signal` aborts, at once when it already has (it may have while the route was made). */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
