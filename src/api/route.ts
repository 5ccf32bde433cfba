import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { z } from 'zod';
import { badRequest, type FieldIssue } from './errors.js';
import type { Principal } from './tokens/token-registry.js';
import type { TokenRole } from './roles.js';
import { fieldIssues } from './zod-issues.js';

/** The answer of every error, whatever the route. */
export const errorSchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable, for scripts: INVALID_INPUT, UNAUTHENTICATED, …' }),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly params: z.output<P>;
  readonly query: z.output<Q>;
  readonly body: z.output<B>;
  /** Who calls; undefined on the routes that need no token. */
  readonly principal: Principal | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteDefinition<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** The lowest role that may call; null: no token needed (health, metrics). */
  readonly role: TokenRole | null;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** The JSON answer; absent when the handler sends something else itself (a body, metrics text). */
  readonly response?: R;
  /** For answers that are not JSON: their content type, for the OpenAPI document. */
  readonly produces?: string;
  readonly status?: number;
  /** The error statuses the route may answer besides 400/401/403 (e.g. 404, 409). */
  readonly errors?: readonly number[];
  /** Returns the answer, or the reply when it sent one itself. */
  handler(input: RouteInput<P, Q, B>): Promise<z.input<R> | FastifyReply>;
}

export type Authenticate = (authorization: string | undefined, role: TokenRole) => Promise<Principal>;

const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'bad input: every bad field is listed with its path',
  401: 'no token, or a token that is unknown or revoked',
  403: 'the token’s role may not do this',
  404: 'not found',
  409: 'conflict with the current state',
  503: 'not ready',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0', reused: 'inline' });
}

/** The route's OpenAPI description, made from the same zod schemas that check its input. */
function describe(definition: RouteDefinition<z.ZodType, z.ZodType, z.ZodType, z.ZodType>): FastifySchema {
  const status = definition.status ?? 200;
  const errors = new Set<number>([400, ...(definition.role ? [401, 403] : []), ...(definition.errors ?? [])]);
  const response: Record<string, unknown> = {};
  if (definition.response) {
    response[status] = { description: 'success', ...jsonSchema(definition.response, 'output') };
  } else {
    response[status] = {
      description: 'success',
      content: { [definition.produces ?? 'application/octet-stream']: { schema: { type: 'string' } } },
    };
  }
  for (const code of errors) {
    response[code] = { description: errorDescriptions[code] ?? 'error', ...jsonSchema(errorSchema, 'output') };
  }
  return {
    summary: definition.summary,
    ...(definition.description ? { description: definition.description } : {}),
    tags: [...definition.tags],
    ...(definition.role ? { security: [{ bearer: [] }] } : {}),
    ...(definition.params ? { params: jsonSchema(definition.params, 'input') } : {}),
    ...(definition.query ? { querystring: jsonSchema(definition.query, 'input') } : {}),
    ...(definition.body ? { body: jsonSchema(definition.body, 'input') } : {}),
    response,
  };
}

/**
 * Registers a route whose params, query and body are checked by zod (every bad field of every
 * part is reported at once, with its path) after the token is checked: an unauthenticated
 * caller learns nothing about the input it would need. Fastify's own validation and
 * serialization are bypassed; the JSON schemas it is given only describe the route.
 */
export function addRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  app: FastifyInstance,
  authenticate: Authenticate,
  definition: RouteDefinition<P, Q, B, R>,
  options: { checkAnswers?: boolean } = {},
): void {
  app.route({
    method: definition.method,
    url: definition.url,
    schema: describe(definition as unknown as RouteDefinition<z.ZodType, z.ZodType, z.ZodType, z.ZodType>),
    validatorCompiler: () => (data: unknown) => ({ value: data }),
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
    handler: async (request, reply) => {
      const principal = definition.role
        ? await authenticate(request.headers.authorization, definition.role)
        : undefined;
      const issues: FieldIssue[] = [];
      const parse = <S extends z.ZodType>(schema: S | undefined, value: unknown, part: string): z.output<S> => {
        if (!schema) return undefined as z.output<S>;
        const result = schema.safeParse(value);
        if (result.success) return result.data;
        issues.push(...fieldIssues(result.error, part));
        return undefined as z.output<S>;
      };
      const params = parse(definition.params, request.params, 'params');
      const query = parse(definition.query, request.query, 'query');
      // A request without a body has `null` here: the same as none for an optional body.
      const body = parse(definition.body, request.body ?? undefined, 'body');
      if (issues.length > 0) {
        throw badRequest('INVALID_INPUT', `the request is invalid: ${issues.map((i) => i.path).join(', ')}`, issues);
      }
      const answer = await definition.handler({ params, query, body, principal, request, reply });
      if (answer === reply) return reply;
      if (options.checkAnswers && definition.response) {
        const checked = definition.response.safeParse(answer);
        if (!checked.success) {
          const where = fieldIssues(checked.error, 'answer').map((i) => `${i.path}: ${i.message}`);
          throw new Error(`${definition.method} ${definition.url} answered off its schema: ${where.join('; ')}`);
        }
      }
      void reply.code(definition.status ?? 200);
      return answer;
    },
  });
}
