import { describe, expect, it } from 'vitest';
import { ApiError, errorAnswer } from '../../../src/api/errors.js';
import { roleAllows } from '../../../src/api/roles.js';
import { SchemaViolation } from '../../../src/domain/errors.js';
import { InvalidQuery } from '../../../src/projections/queries/errors.js';
import { BlobNotFound } from '../../../src/store/blob/errors.js';

describe('roles', () => {
  it('rank viewer < operator < admin: each may do what the lower ones may, and nothing above', () => {
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('viewer', 'admin')).toBe(false);
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('admin', 'viewer')).toBe(true);
    expect(roleAllows('admin', 'admin')).toBe(true);
  });
});

describe('error answers', () => {
  it('an API error keeps its status, code, message and field issues', () => {
    const issues = [{ path: 'body.query.status', message: 'Invalid option' }];
    expect(errorAnswer(new ApiError(400, 'INVALID_INPUT', 'bad', issues))).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_INPUT', message: 'bad', issues } },
    });
    expect(errorAnswer(new ApiError(409, 'NOT_SUSPENDED', 'message is active')).body.error).not.toHaveProperty(
      'issues',
    );
  });

  it('engine errors map by their stable code: a schema violation is 400 with its paths, a missing blob 404', () => {
    const violation = errorAnswer(
      new SchemaViolation('bindings', [{ path: 'sendPorts.0.retry', message: 'too small' }]),
    );
    expect(violation.status).toBe(400);
    expect(violation.body.error).toMatchObject({ code: 'SCHEMA_VIOLATION', issues: [{ path: 'sendPorts.0.retry' }] });
    expect(errorAnswer(new InvalidQuery('the cursor does not belong to a messages query')).status).toBe(400);
    expect(errorAnswer(new BlobNotFound('a'.repeat(64))).status).toBe(404);
  });

  it('anything unexpected is a 500 whose text stays in the server (it may quote a secret)', () => {
    const answer = errorAnswer(new Error('connect failed: esdb://admin:hunter2@db:2113'));
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(answer)).not.toContain('hunter2');
  });

  it('fastify’s own client errors get a stable code and a message that never quotes the request', () => {
    const parse = Object.assign(new SyntaxError('Unexpected token in JSON at "password": "hunter2"'), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    });
    const answer = errorAnswer(parse);
    expect(answer).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_JSON', message: 'the request body is not valid JSON' } },
    });
    const large = errorAnswer(
      Object.assign(new Error('too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }),
    );
    expect(large).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
  });
});
