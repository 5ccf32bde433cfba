import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, errorAnswer } from '../../../src/api/errors.js';
import { addRoute, type Authenticate } from '../../../src/api/route.js';
function errorOf(r: { json<T>(): T }) {
  return r.json<{ error: { code: string; message: string; issues: { path: string; message: string }[] } }>().error;
}

const authenticate: Authenticate = async (authorization, role) => {
  if (authorization !== 'Bearer good') throw new ApiError(401, 'UNAUTHENTICATED', 'no');
  return { tokenId: 't1', name: 'tester', role, actor: 'token:tester' };
};

async function app() {
  const server = fastify();
  server.setErrorHandler((error, _request, reply) => {
    const { status, body } = errorAnswer(error);
    return reply.code(status).send(body);
  });
  addRoute(server, authenticate, {
    method: 'POST',
    url: '/things/:id',
    summary: 'test',
    tags: ['test'],
    role: 'operator',
    params: z.strictObject({ id: z.string().regex(/^\d+$/) }),
    query: z.strictObject({ limit: z.coerce.number().int().max(10).optional() }),
    body: z.strictObject({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
    response: z.object({ id: z.string(), name: z.string(), actor: z.string(), limit: z.number().nullable() }),
    status: 201,
    handler: async ({ params, query, body, principal }) => ({
      id: params.id,
      name: body.name,
      actor: principal!.actor,
      limit: query.limit ?? null,
    }),
  });
  return server;
}

describe('zod routes', () => {
  it('checks the token before the input: an unauthenticated caller learns nothing about the fields', async () => {
    const server = await app();
    const r = await server.inject({ method: 'POST', url: '/things/x?limit=99', payload: { name: '' } });
    expect(r.statusCode).toBe(401);
    expect(errorOf(r).code).toBe('UNAUTHENTICATED');
  });

  it('reports every bad field of params, query and body at once, each with its path', async () => {
    const server = await app();
    const r = await server.inject({
      method: 'POST',
      url: '/things/x?limit=99&extra=1',
      headers: { authorization: 'Bearer good' },
      payload: { name: '', tags: ['a', 7] },
    });
    expect(r.statusCode).toBe(400);
    const issues = r.json<{ error: { code: string; issues: { path: string }[] } }>().error;
    expect(issues.code).toBe('INVALID_INPUT');
    expect(issues.issues.map((i) => i.path).sort()).toEqual([
      'body.name',
      'body.tags.1',
      'params.id',
      'query',
      'query.limit',
    ]);
  });

  it('passes the parsed, coerced input and the caller to the handler and answers with its status', async () => {
    const server = await app();
    const r = await server.inject({
      method: 'POST',
      url: '/things/42?limit=3',
      headers: { authorization: 'Bearer good' },
      payload: { name: 'gear' },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toEqual({ id: '42', name: 'gear', actor: 'token:tester', limit: 3 });
  });
});
