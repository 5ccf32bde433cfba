import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBindings } from '../../src/domain/config/index.js';
import { recordBindings } from '../../src/workers/record-config.js';
import { SecretStore } from '../../src/workers/secrets/secret-store.js';
import { tempDir } from '../support/temp-dir.js';
import { apiBindings, apiFolders, startApiEngine, type ApiTestEngine } from './api-support.js';
import { eventually, writtenFiles } from './support/engine.js';

const anyString: unknown = expect.any(String);
function errorOf(r: { json<T>(): T }) {
  return r.json<{ error: { code: string; message: string; issues: { path: string; message: string }[] } }>().error;
}
function itemsOf<T = Record<string, unknown>>(r: { json<A>(): A }): T[] {
  return r.json<{ items: T[] }>().items;
}

const root = tempDir('api');
const dir = join(root.path, 'engine');
const { inbox, badbox, outbox, broken } = apiFolders(dir);
const jsonbox = join(dir, 'jsonbox');
// A location whose pipeline validates JSON, to resume a message that failed it.
const bindings = (() => {
  const base = apiBindings(dir, 0);
  const validated = {
    name: 'jsonbox',
    receivePort: 'json',
    adapter: 'file',
    config: { folder: jsonbox, mask: '*', pollIntervalMs: 50 },
    pipeline: [{ component: 'json-validate', schema: { type: 'object', required: ['orderId'] } }],
  };
  return { ...base, receiveLocations: [...base.receiveLocations, validated] };
})();

const secretValue = `s3cret-${randomBytes(12).toString('hex')}`;
let api: ApiTestEngine | undefined;
let app: FastifyInstance;
let logs = '';
const answers: string[] = [];
let admin: string;

type Client = ReturnType<typeof client>;
function client(token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const keep = (r: LightMyRequestResponse) => {
    answers.push(r.body);
    return r;
  };
  return {
    get: async (url: string) => keep(await app.inject({ method: 'GET', url, headers })),
    post: async (url: string, payload?: object) =>
      keep(await app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload }) })),
    put: async (url: string, payload: object) => keep(await app.inject({ method: 'PUT', url, headers, payload })),
    delete: async (url: string) => keep(await app.inject({ method: 'DELETE', url, headers })),
  };
}
let as: { admin: Client; operator: Client; viewer: Client; nobody: Client };

async function messagesOf(c: Client, query: string): Promise<{ messageId: string; status: string }[]> {
  const r = await c.get(`/api/v1/messages?${query}`);
  expect(r.statusCode).toBe(200);
  return r.json<{ items: { messageId: string; status: string }[] }>().items;
}

beforeAll(async () => {
  mkdirSync(jsonbox, { recursive: true });
  api = await startApiEngine(dir, bindings, async (engine) => {
    // As `signalbox start` does: the configuration it runs is recorded, with who brought it.
    await recordBindings(engine.store, parseBindings(bindings), 'user:test');
    const secrets = await SecretStore.open({ store: engine.store, dataDir: dir, masterKey: randomBytes(32) });
    return { secrets, log: { level: 'debug', stream: { write: (line: string) => void (logs += line) } } };
  });
  ({ app, admin } = api);
  const root = client(admin);
  const operator = (await root.post('/api/v1/tokens', { name: 'ops', role: 'operator' })).json<{ token: string }>();
  const viewer = (await root.post('/api/v1/tokens', { name: 'watcher', role: 'viewer' })).json<{ token: string }>();
  as = { admin: root, operator: client(operator.token), viewer: client(viewer.token), nobody: client() };
}, 60_000);

afterAll(async () => {
  await api?.stop();
  root.cleanup();
});

describe('HTTP API over a running engine (SQLite store, File adapter, fastify inject)', () => {
  it('refuses calls without a live token (401) and calls above the token’s role (403)', async () => {
    const none = await as.nobody.get('/api/v1/messages');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: anyString } });
    const wrong = await client('sbt_not-a-token').get('/api/v1/messages');
    expect(wrong.statusCode).toBe(401);
    expect(errorOf(wrong).code).toBe('INVALID_TOKEN');
    const viewerResumes = await as.viewer.post('/api/v1/messages/x/resume');
    expect(viewerResumes.statusCode).toBe(403);
    expect(errorOf(viewerResumes).code).toBe('FORBIDDEN');
    const operatorIssues = await as.operator.post('/api/v1/tokens', { name: 'sneaky', role: 'admin' });
    expect(operatorIssues.statusCode).toBe(403);
    expect((await as.viewer.get('/api/v1/messages')).statusCode).toBe(200);
    expect((await as.nobody.get('/health/live')).json()).toEqual({ status: 'live' });
  });

  it('finds a message sent through the engine, with its context, its whole timeline and its body streamed', async () => {
    writeFileSync(join(inbox, 'order-1.json'), '{"order":1,"lines":[1,2,3]}');
    await eventually(() => writtenFiles(outbox).includes('order-1.json'));
    const found = await eventually(async () => {
      const items = await messagesOf(as.viewer, 'location=inbox&status=sent');
      return items.length === 1 && items;
    });
    const id = found[0]!.messageId;
    const byProperty = await messagesOf(
      as.viewer,
      `property=${encodeURIComponent('FILE.ReceivedFileName=order-1.json')}`,
    );
    expect(byProperty.map((m) => m.messageId)).toEqual([id]);
    expect(await messagesOf(as.viewer, `property=${encodeURIComponent('FILE.ReceivedFileName=nope')}`)).toEqual([]);

    const detail = await as.viewer.get(`/api/v1/messages/${id}`);
    expect(detail.statusCode).toBe(200);
    const body = detail.json<{
      message: object;
      context: { promoted: object };
      ports: { port: string }[];
      timeline: { type: string; port: string | null }[];
    }>();
    expect(body.message).toMatchObject({ messageId: id, receiveLocation: 'inbox', status: 'sent' });
    expect(body.context.promoted).toMatchObject({
      'BTS.ReceivePortName': 'orders',
      'FILE.ReceivedFileName': 'order-1.json',
    });
    expect(body.ports.map((p) => p.port).sort()).toEqual(['journal', 'outbox']);
    const types = body.timeline.map((e) => e.type);
    expect(types[0]).toBe('MessageReceived');
    expect(types.filter((t) => t === 'MessageSent')).toHaveLength(2);
    expect(body.timeline[0]).toMatchObject({ revision: 0, actor: anyString, port: null });
    expect(body.timeline.find((e) => e.type === 'SendClaimed')!.port).toMatch(/^(outbox|journal)$/);

    const content = await as.viewer.get(`/api/v1/messages/${id}/body`);
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('{"order":1,"lines":[1,2,3]}');
    expect(Number(content.headers['content-length'])).toBe(content.rawPayload.length);

    expect(errorOf(await as.viewer.get('/api/v1/messages/no-such-id')).code).toBe('MESSAGE_NOT_FOUND');
    expect((await as.viewer.get('/api/v1/messages/no-such-id/body')).statusCode).toBe(404);
  });

  it('answers 400 naming every bad field, before reading anything', async () => {
    const r = await as.viewer.get('/api/v1/messages?limit=0&status=lost&portStatus=sent&colour=red');
    expect(r.statusCode).toBe(400);
    const { error } = r.json<{ error: { code: string; issues: { path: string }[] } }>();
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.issues.map((i) => i.path).sort()).toEqual(['query', 'query.limit', 'query.status']);
    const cursor = await as.viewer.get('/api/v1/messages?cursor=bm9wZQ');
    expect(cursor.statusCode).toBe(400);
    expect(errorOf(cursor).code).toBe('INVALID_QUERY');
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/messages/resume',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: `{"query": {"status": "suspended"}, "reason": "${secretValue}"`,
    });
    expect(json.statusCode).toBe(400);
    expect(errorOf(json).code).toBe('INVALID_JSON');
    expect(json.body).not.toContain(secretValue);
    expect(errorOf(await as.viewer.get('/api/v1/nothing-here')).code).toBe('ROUTE_NOT_FOUND');
  });

  it('groups suspended messages by error, resumes one as token:ops, and the audit log shows who', async () => {
    writeFileSync(join(badbox, 'reject-1.txt'), 'one');
    const groups = await eventually(async () => {
      const r = await as.viewer.get('/api/v1/suspended?by=port');
      const g = r.json<{ groups: { key: string; count: number; sample: string[] }[] }>().groups;
      return g.length === 1 && g[0]!.count === 1 && g;
    });
    expect(groups[0]!.key).toBe('broken');
    const id = groups[0]!.sample[0]!;
    const list = await as.viewer.get('/api/v1/suspended/list?port=broken');
    expect(itemsOf(list)[0]).toMatchObject({ messageId: id, port: 'broken', stage: 'send' });
    const byError = await as.viewer.get('/api/v1/suspended');
    expect(byError.json<{ groups: { sample: string[] }[] }>().groups[0]!.sample).toEqual([id]);

    // Resuming while the folder is still missing: accepted, fails again, suspended again.
    mkdirSync(broken);
    const resumed = await as.operator.post(`/api/v1/messages/${id}/resume`, { note: 'folder made' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toEqual({ messageId: id, action: 'resume', ports: ['broken'], actor: 'token:ops' });
    await eventually(() => writtenFiles(broken).includes('reject-1.txt'));
    const again = await as.operator.post(`/api/v1/messages/${id}/resume`);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('NOT_SUSPENDED');
    const audit = await eventually(async () => {
      const r = await as.viewer.get(`/api/v1/audit?actor=token:ops&target=${id}`);
      const items = r.json<{ items: { action: string; actor: string }[] }>().items;
      return items.length > 0 && items;
    });
    expect(audit[0]).toMatchObject({ action: 'MessageResumed', actor: 'token:ops' });
  });

  it('bulk terminate: a dry run lists, bad input changes nothing, the real run terminates by query', async () => {
    rmBroken();
    writeFileSync(join(badbox, 'reject-2.txt'), 'two');
    writeFileSync(join(badbox, 'reject-3.txt'), 'three');
    await eventually(async () => (await messagesOf(as.viewer, 'status=suspended&location=badbox')).length === 2);
    const query = { status: 'suspended', location: 'badbox' };

    const dry = await as.operator.post('/api/v1/messages/terminate', { query, reason: 'bad data', dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, matched: 2, done: 2 });
    const typo = await as.operator.post('/api/v1/messages/terminate', {
      query: { ...query, stauts: 'sent' },
      reason: 'bad data',
    });
    expect(typo.statusCode).toBe(400);
    expect(errorOf(typo).issues).toHaveLength(1);
    expect(errorOf(typo).issues[0]!.path).toBe('body.query');
    expect(errorOf(typo).issues[0]!.message).toContain('stauts');
    const badReason = await as.operator.post('/api/v1/messages/terminate', { query, reason: '', dryRun: 'no' });
    expect(errorOf(badReason).issues.map((i: { path: string }) => i.path)).toEqual(['body.reason', 'body.dryRun']);
    const empty = await as.operator.post('/api/v1/messages/terminate', { query: {}, reason: 'all' });
    expect(errorOf(empty).code).toBe('EMPTY_QUERY');
    expect(await messagesOf(as.viewer, 'status=suspended&location=badbox')).toHaveLength(2);

    const real = await as.operator.post('/api/v1/messages/terminate', { query, reason: 'bad data' });
    expect(real.json()).toMatchObject({ dryRun: false, matched: 2, done: 2, skipped: [], actor: 'token:ops' });
    await eventually(async () => (await messagesOf(as.viewer, 'status=terminated&location=badbox')).length === 2);
    const audit = await as.viewer.get('/api/v1/audit?action=MessageTerminated');
    expect(itemsOf<{ actor: string }>(audit).map((e) => e.actor)).toEqual(['token:ops', 'token:ops']);
    const bulkResume = await as.operator.post('/api/v1/messages/resume', { query: { location: 'badbox' } });
    expect(bulkResume.json()).toMatchObject({ matched: 3, done: 0 });
    expect(bulkResume.json<{ skipped: { code: string }[] }>().skipped.map((s) => s.code)).toEqual([
      'NOT_SUSPENDED',
      'NOT_SUSPENDED',
      'NOT_SUSPENDED',
    ]);
  });

  it('replays by query: a dry run writes nothing, an unknown port is refused whole, a rerun makes no new copy', async () => {
    const query = { location: 'inbox' };
    const unknown = await as.operator.post('/api/v1/replays', {
      replayId: 'r1',
      query,
      toPort: 'nowhere',
      dryRun: false,
    });
    expect(unknown.statusCode).toBe(400);
    expect(errorOf(unknown).issues).toEqual([{ path: 'body.toPort', message: anyString }]);
    const dry = await as.operator.post('/api/v1/replays', { replayId: 'r1', query, toPort: 'outbox', dryRun: true });
    expect(dry.json()).toMatchObject({ counts: { 'would-replay': 1 } });
    const before = (await messagesOf(as.viewer, 'location=inbox')).length;
    const real = await as.operator.post('/api/v1/replays', { replayId: 'r1', query, toPort: 'outbox', dryRun: false });
    expect(real.json()).toMatchObject({ counts: { replayed: 1 }, actor: 'token:ops' });
    const rerun = await as.operator.post('/api/v1/replays', { replayId: 'r1', query, toPort: 'outbox', dryRun: false });
    expect(rerun.json()).toMatchObject({ counts: { 'already-replayed': 1 } });
    const copies = await eventually(async () => {
      const items = await messagesOf(as.viewer, 'location=inbox');
      return items.length === before + 1 && items;
    });
    expect(copies).toHaveLength(before + 1);
  });

  it('shows ports, the ordered port’s lease and its history', async () => {
    const ports = (await as.viewer.get('/api/v1/ports')).json<{ items: { port: string; sent: number }[] }>().items;
    expect(ports.map((p) => p.port)).toEqual(['broken', 'journal', 'outbox']);
    expect(ports.find((p) => p.port === 'outbox')!.sent).toBeGreaterThanOrEqual(1);
    const leases = (await as.viewer.get('/api/v1/leases')).json<{ items: { resource: string; term: number }[] }>();
    const lease = leases.items.find((l) => l.resource.includes('journal'));
    expect(lease).toBeDefined();
    const history = await as.viewer.get(`/api/v1/leases/${encodeURIComponent(lease!.resource)}/history`);
    expect(history.statusCode).toBe(200);
    const changes = history.json<{ items: { resource: string; event: string }[] }>().items;
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.resource === lease!.resource)).toBe(true);
    expect(['acquired', 'taken-over']).toContain(changes.at(-1)!.event);
    expect((await as.viewer.get('/api/v1/hosts')).statusCode).toBe(200);
  });

  it('configuration: read as bindings, a dry run diffs, bad bindings are refused with paths, a change is audited', async () => {
    const live = await as.viewer.get('/api/v1/config');
    expect(live.statusCode).toBe(200);
    const doc = live.json<{ bindings: { sendPorts: { name: string; retry?: unknown }[] } }>().bindings;
    expect(doc.sendPorts.map((p) => p.name)).toEqual(['broken', 'journal', 'outbox']);
    expect((await as.operator.put('/api/v1/config', { bindings: doc, dryRun: true })).statusCode).toBe(403);

    const changed = structuredClone(doc);
    changed.sendPorts[0]!.retry = { count: 2, intervalMs: 100 };
    const dry = await as.admin.put('/api/v1/config', { bindings: changed, dryRun: true });
    expect(dry.json()).toEqual({
      applied: false,
      diff: [expect.objectContaining({ name: 'broken', change: 'changed' })],
    });

    const bad = structuredClone(doc) as unknown as { sendPorts: Record<string, unknown>[] };
    bad.sendPorts[0]!.retry = { count: -1 };
    bad.sendPorts[1]!.adapter = 'carrier-pigeon';
    const refused = await as.admin.put('/api/v1/config', { bindings: bad, dryRun: false });
    expect(refused.statusCode).toBe(400);
    const paths = refused.json<{ error: { issues: { path: string }[] } }>().error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.bindings.sendPorts.0.retry.count']));
    expect(paths.some((p) => p.startsWith('body.bindings.sendPorts.1'))).toBe(true);

    const applied = await as.admin.put('/api/v1/config', { bindings: changed, dryRun: false });
    expect(applied.json()).toMatchObject({ applied: true });
    const history = await as.viewer.get('/api/v1/config/history?kind=send-port&name=broken');
    expect(itemsOf(history)[0]).toMatchObject({
      actor: 'token:root',
      action: 'ConfigDefined',
      target: 'send-port/broken',
    });
  });

  it('secrets: set and listed, the value never answered and never logged', async () => {
    const set = await as.admin.put('/api/v1/secrets/ftp-password', { value: secretValue });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ name: 'ftp-password', version: 1 });
    expect((await as.operator.put('/api/v1/secrets/ftp-password', { value: secretValue })).statusCode).toBe(403);
    const badName = await as.admin.put('/api/v1/secrets/bad name!', { value: secretValue });
    expect(badName.statusCode).toBe(400);
    const list = await as.admin.get('/api/v1/secrets');
    expect(itemsOf(list)).toEqual([
      expect.objectContaining({ name: 'ftp-password', version: 1, updatedBy: 'token:root' }),
    ]);
    for (const answer of answers) expect(answer).not.toContain(secretValue);
    expect(logs).not.toContain(secretValue);
  });

  it('tokens: listed without secrets or hashes, a duplicate name is a conflict, a revoked token stops working', async () => {
    const list = await as.admin.get('/api/v1/tokens');
    const items = list.json<{ items: Record<string, unknown>[] }>().items;
    expect(items.map((t) => t.name)).toEqual(['root', 'ops', 'watcher']);
    for (const item of items)
      expect(Object.keys(item).sort()).toEqual([
        'createdAt',
        'createdBy',
        'id',
        'name',
        'revokedAt',
        'revokedBy',
        'role',
      ]);
    expect((await as.admin.post('/api/v1/tokens', { name: 'ops', role: 'viewer' })).statusCode).toBe(409);
    const temp = (await as.admin.post('/api/v1/tokens', { name: 'temp', role: 'viewer' })).json<{
      id: string;
      token: string;
    }>();
    expect((await client(temp.token).get('/api/v1/ports')).statusCode).toBe(200);
    expect((await as.admin.delete(`/api/v1/tokens/${temp.id}`)).json()).toMatchObject({
      id: temp.id,
      revokedBy: 'token:root',
    });
    expect((await client(temp.token).get('/api/v1/ports')).statusCode).toBe(401);
    expect((await as.admin.delete(`/api/v1/tokens/${temp.id}`)).statusCode).toBe(409);
    expect((await as.admin.delete('/api/v1/tokens/ffffffffffffffff')).statusCode).toBe(404);
    const audit = await as.viewer.get('/api/v1/audit?action=TokenRevoked');
    expect(itemsOf(audit)[0]).toMatchObject({ actor: 'token:root', targetKind: 'token' });
    // Tokens never reach the log, not even in the Authorization header.
    expect(logs).toContain('incoming request');
    expect(logs).not.toContain(admin);
    expect(logs).not.toContain(temp.token);
  });

  it('serves the OpenAPI document made from the zod schemas, the docs page and readiness', async () => {
    const doc = (await as.nobody.get('/openapi.json')).json<{
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.openapi).toBe('3.0.3');
    // Every reference in the document resolves.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      expect(
        ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc),
      ).toBeDefined();
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/messages',
        '/api/v1/messages/{id}',
        '/api/v1/messages/{id}/body',
        '/api/v1/suspended',
        '/api/v1/messages/resume',
        '/api/v1/replays',
        '/api/v1/config',
        '/api/v1/secrets/{name}',
        '/api/v1/tokens/{id}',
        '/metrics',
        '/health/ready',
      ]),
    );
    const search = doc.paths['/api/v1/messages']!.get!;
    expect(search.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'property', 'limit', 'cursor']),
    );
    expect(Object.keys(search.responses).sort()).toEqual(['200', '400', '401', '403']);
    expect((await as.nobody.get('/docs')).statusCode).toBe(200);
    const ready = await as.nobody.get('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', reasons: [] });
  });

  it('resuming a message that failed its receive pipeline runs the live pipeline again: still failing, it is refused with why', async () => {
    writeFileSync(join(jsonbox, 'no-order-id.json'), '{"customer":"acme"}');
    const [suspended] = await eventually(async () => {
      const found = await messagesOf(as.viewer, 'status=suspended&location=jsonbox');
      return found.length === 1 && found;
    });
    const refused = await as.operator.post(`/api/v1/messages/${suspended!.messageId}/resume`);
    expect(refused.statusCode).toBe(409);
    expect(errorOf(refused)).toMatchObject({ code: 'NOT_RESUMABLE' });
    expect(errorOf(refused).message).toMatch(/PIPELINE_FAILED: JSON_SCHEMA_MISMATCH/);
    expect(await messagesOf(as.viewer, 'status=suspended&location=jsonbox')).toHaveLength(1);
  });
});

function rmBroken(): void {
  // The broken port's folder goes again: the next rejects are suspended.
  rmSync(broken, { recursive: true, force: true });
}
