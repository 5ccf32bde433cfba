import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { makeTestCertificate, type TestCertificate } from '../../bench/support/test-certificate.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { startTestEngine, type TestEngine } from './support/engine.js';

/*
 * What the HTTP adapter's integration tests share: an engine whose store and secrets a test can
 * choose (a store that fails on purpose, a secret store), plain HTTP(S) backends on 127.0.0.1,
 * and certificates made with openssl at test time.
 */

export type HttpTestEngine = TestEngine<EventStore>;

export function startHttpEngine(
  dir: string,
  bindings: unknown,
  options: { secrets?: SecretResolver; wrapStore?: (store: SqliteEventStore) => EventStore } = {},
): Promise<HttpTestEngine> {
  return startTestEngine<EventStore>(dir, bindings, 'main', options);
}

/** Polls until the URL's listener accepts a request (any answer counts). */
export async function whenListening(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { method: 'OPTIONS' });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The CN of the client certificate, when the client presented one over TLS. */
  readonly peer?: string;
}

export interface Backend {
  readonly url: string;
  readonly received: Received[];
  /** How the next requests are answered; default 200 with an empty body. */
  answer: (
    request: Received,
    n: number,
  ) => { status: number; body?: string; headers?: Record<string, string>; delayMs?: number };
  close(): Promise<void>;
}

/** A plain HTTP (or HTTPS) server on 127.0.0.1 that records what it gets and answers as told. */
export async function startBackend(tls?: ServerOptions): Promise<Backend> {
  const received: Received[] = [];
  const backend: Backend = {
    url: '',
    received,
    answer: () => ({ status: 200 }),
    close: async () => undefined,
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const got: Received = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
        ...peerOf(request),
      };
      received.push(got);
      const { status, body = '', headers = {}, delayMs = 0 } = backend.answer(got, received.length);
      setTimeout(() => {
        response.writeHead(status, headers);
        response.end(body);
      }, delayMs);
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  Object.assign(backend, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return backend;
}

function peerOf(request: IncomingMessage): { peer?: string } {
  const socket = request.socket as Partial<TLSSocket>;
  const cn = socket.getPeerCertificate?.()?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? { peer: cn } : {};
}

export type Certificate = TestCertificate;

/** A self-signed certificate for 127.0.0.1, made with openssl now (its own CA), named `name`. */
export function selfSigned(dir: string, name: string): Certificate {
  return makeTestCertificate(dir, name);
}
