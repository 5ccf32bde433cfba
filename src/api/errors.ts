import { SignalboxError } from '../domain/errors.js';

export interface FieldIssue {
  /** Where the bad value is: `query.limit`, `body.query.from`, `params.id`. */
  readonly path: string;
  readonly message: string;
}

/** An error the API answers with its own status and stable code. */
export class ApiError extends SignalboxError {
  readonly retryable = false;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: readonly FieldIssue[],
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, issues?: readonly FieldIssue[]) =>
  new ApiError(400, code, message, issues);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);

/**
 * The HTTP status of the errors the engine raises, by stable code, in one place. Codes not named
 * here are server errors (500): their message is logged, never sent.
 */
const statusByCode: Readonly<Record<string, number>> = {
  SCHEMA_VIOLATION: 400,
  INVALID_QUERY: 400,
  FILTER_SYNTAX: 400,
  BLOB_NOT_FOUND: 404,
  BLOB_ID_INVALID: 400,
  WRONG_EXPECTED_REVISION: 409,
  UNKNOWN_ADAPTER: 400,
  PIPELINE_CONFIG_INVALID: 400,
  STORE_UNAVAILABLE: 503,
  CONFIG_CONFLICT: 409,
  SECRET_NOT_FOUND: 404,
  MASTER_KEY_UNAVAILABLE: 503,
};

/** The status and body of an error as the API answers it. */
export function errorAnswer(error: unknown): {
  status: number;
  body: { error: { code: string; message: string; issues?: readonly FieldIssue[] } };
} {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      body: {
        error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) },
      },
    };
  }
  if (error instanceof SignalboxError) {
    const status = statusByCode[error.code];
    if (status !== undefined) {
      const issues = (error as { issues?: readonly FieldIssue[] }).issues;
      return {
        status,
        body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } },
      };
    }
  }
  // Fastify's own client errors (malformed JSON, wrong content type, body too large): say what, not how.
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return {
      status: fastify.statusCode,
      body: { error: { code: fastifyCode(fastify.code, fastify.statusCode), message: clientMessage(fastify) } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error; see the server log' } } };
}

function fastifyCode(code: string | undefined, status: number): string {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'INVALID_JSON';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'BODY_TOO_LARGE';
    default:
      return status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST';
  }
}

/**
 * Fastify's messages can quote the request (a JSON parse error quotes the bad text): the answer
 * names the problem only, so a secret sent in a broken body is never echoed back.
 */
function clientMessage(error: { code?: string; message?: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'the request body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty; send a JSON document';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type; send application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is too large';
    default:
      return 'bad request';
  }
}
