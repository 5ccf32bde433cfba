import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';

/** Where the console is served. */
export const CONSOLE_PATH = '/console/';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The console shows message bodies and properties that come from outside: besides building every
 * page from text nodes, the browser is told to run only the console's own scripts and to talk
 * only to this origin, so that even a rendering mistake could not run or send anything else.
 */
const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Revalidated on every load (cheap with the ETag), so an upgraded engine never runs old scripts.
  'cache-control': 'no-cache',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/**
 * The folder of the console's static files. Beside this module when the build copied them there;
 * otherwise in the package's `src/api/console/static`, which is where they are when running from
 * the sources and what `dist/` falls back to (tsc does not copy them).
 */
export function consoleStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'static');
  if (existsSync(join(beside, 'index.html'))) return beside;
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'api', 'console', 'static');
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`the console's files were not found beside ${here} nor in the package's src/api/console/static`);
}

/** Every file of the folder with a known type, by its path relative to it (with `/`). */
async function loadFiles(root: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const type = contentTypes[extname(entry.name)];
    if (!entry.isFile() || type === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    const body = await readFile(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(relative(root, path).split(sep).join('/'), { body, type, etag });
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  void reply.headers(securityHeaders).header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.code(200).type(file.type).send(file.body);
}

/**
 * Serves the web console at `/console/`: static files read once at start, from a fixed list, so
 * no request path ever reaches the file system. The console itself talks only to `/api/v1`.
 */
export async function registerConsole(app: FastifyInstance): Promise<void> {
  const files = await loadFiles(consoleStaticDir());
  const index = files.get('index.html');
  if (!index) throw new Error('the console has no index.html');
  // Static files are no part of the API: kept out of the OpenAPI document (@fastify/swagger's `hide`).
  const hidden = { schema: { hide: true } as FastifySchema };

  // Relative script and style addresses need the trailing slash.
  app.get('/console', hidden, async (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
  app.get(CONSOLE_PATH, hidden, async (request, reply) => send(request, reply, index));
  app.get<{ Params: { '*': string } }>(`${CONSOLE_PATH}*`, hidden, async (request, reply) => {
    const file = files.get(request.params['*']);
    if (!file) {
      return reply
        .code(404)
        .headers(securityHeaders)
        .send({ error: { code: 'NOT_FOUND', message: `the console has no file ${request.params['*']}` } });
    }
    return send(request, reply, file);
  });
}
