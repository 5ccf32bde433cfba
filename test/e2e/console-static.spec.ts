import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStaticDir, registerConsole } from '../../src/api/console/register.js';

// How the console's files are served, without a browser: fixed files only, with the headers that
// keep untrusted message data from ever running as script.

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await registerConsole(app);
  await app.ready();
});
afterAll(() => app.close());

describe('console static files', () => {
  it('serves the page and its modules with their types and a strict content security policy', async () => {
    const page = await app.inject({ url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe(readFileSync(join(consoleStaticDir(), 'index.html'), 'utf8'));
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const script = await app.inject({ url: '/console/js/main.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain("from './api.js'");
    const style = await app.inject({ url: '/console/console.css' });
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('redirects /console to /console/ so the relative module addresses resolve', async () => {
    const answer = await app.inject({ url: '/console' });
    expect(answer.statusCode).toBe(301);
    expect(answer.headers.location).toBe('/console/');
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await app.inject({ url: '/console/js/api.js' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({ url: '/console/js/api.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves nothing outside its own file list: unknown names and climbs out of the folder are 404', async () => {
    for (const url of [
      '/console/nope.js',
      '/console/../package.json',
      '/console/%2e%2e/register.ts',
      '/console/js/..%2f..%2fregister.ts',
      '/console/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      const answer = await app.inject({ url });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.body, url).not.toContain('"name": "signalbox"');
      expect(answer.body, url).not.toContain('registerConsole');
    }
  });

  it('finds its files in the package folder src/api/console/static', () => {
    const dir = consoleStaticDir();
    expect(dir.replaceAll('\\', '/')).toMatch(/src\/api\/console\/static$/);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('js/main.js');
  });
});
