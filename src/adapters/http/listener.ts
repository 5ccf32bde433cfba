import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenAddress } from './config.js';
import { HTTP_ERROR } from './errors.js';
import { PermanentAdapterError, TransientAdapterError } from '../errors.js';
import { sendJson } from './respond.js';

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** How long a stopping listener lets open requests finish before it cuts their connections. */
const CLOSE_GRACE_MS = 5_000;

/**
 * One server per `host:port` in this process, shared by every location that listens there and
 * told apart by path. Several handlers on one path (two receivers of one location) take requests
 * in turn. The server closes when its last route leaves.
 */
class SharedListener {
  private readonly routes = new Map<string, { owner: string; handlers: RouteHandler[]; next: number }>();

  constructor(readonly server: Server) {
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.dispatch(request, response));
  }

  get empty(): boolean {
    return this.routes.size === 0;
  }

  /** Adds a handler; a path already taken by another location is refused (its owner is returned). */
  add(path: string, owner: string, handler: RouteHandler): string | undefined {
    const route = this.routes.get(path) ?? { owner, handlers: [], next: 0 };
    if (route.owner !== owner) return route.owner;
    route.handlers.push(handler);
    this.routes.set(path, route);
    return undefined;
  }

  remove(path: string, handler: RouteHandler): void {
    const route = this.routes.get(path);
    if (!route) return;
    route.handlers = route.handlers.filter((h) => h !== handler);
    if (route.handlers.length === 0) this.routes.delete(path);
  }

  private dispatch(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request.url);
    const route = path === undefined ? undefined : this.routes.get(path);
    if (!route || route.handlers.length === 0) {
      sendJson(request, response, 404, { error: 'NOT_FOUND', message: `no receive location at ${path ?? '?'}` });
      return;
    }
    const handler = route.handlers[route.next++ % route.handlers.length]!;
    handler(request, response);
  }
}

const listeners = new Map<string, Promise<SharedListener>>();

function keyOf(address: ListenAddress): string {
  return `${address.host}:${address.port}`;
}

/** The path of a request target, without its query; undefined for a target that is not a path. */
export function pathOf(url: string | undefined): string | undefined {
  if (!url?.startsWith('/')) return undefined;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

async function open(address: ListenAddress): Promise<SharedListener> {
  // No request timeout of the server's own: a large body may take long, and a location's limit
  // bounds its size; headers must still arrive promptly.
  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 5_000 });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return new SharedListener(server);
}

/**
 * Adds a route at `path` on the listener of `address`, opening the listener when it is the
 * first. A port another program holds is a `TransientAdapterError`: the receive loop tries again.
 * Handlers of one location (`owner`) may share a path and take turns; another location may not.
 */
export async function attachRoute(
  address: ListenAddress,
  path: string,
  owner: string,
  handler: RouteHandler,
): Promise<{ detach(): Promise<void> }> {
  const key = keyOf(address);
  let pending = listeners.get(key);
  if (!pending) {
    pending = open(address);
    listeners.set(key, pending);
  }
  let listener: SharedListener;
  try {
    listener = await pending;
  } catch (error) {
    if (listeners.get(key) === pending) listeners.delete(key);
    throw new TransientAdapterError(
      HTTP_ERROR.LISTEN_FAILED,
      `cannot listen on ${key}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const taken = listener.add(path, owner, handler);
  if (taken !== undefined) {
    if (listener.empty && listeners.get(key) === pending) {
      listeners.delete(key);
      await closeServer(listener.server);
    }
    throw new PermanentAdapterError(
      HTTP_ERROR.PATH_TAKEN,
      `${path} on ${key} is already the path of receive location "${taken}"`,
    );
  }
  let detached = false;
  return {
    async detach() {
      if (detached) return;
      detached = true;
      listener.remove(path, handler);
      if (!listener.empty || listeners.get(key) !== pending) return;
      listeners.delete(key);
      await closeServer(listener.server);
    },
  };
}

/** Stops accepting, closes idle connections, and cuts the rest once the grace period is over. */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
