import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenRegistry } from '../../../src/api/tokens/token-registry.js';
import { tokenHash } from '../../../src/api/tokens/token-secret.js';
import { MemoryBackend, MemoryEventStore } from '../../support/memory-event-store.js';

const anyString: unknown = expect.any(String);

afterEach(() => vi.useRealTimers());

const bearer = (token: string) => `Bearer ${token}`;

describe('API tokens', () => {
  it('are long random secrets, kept in the store only as their sha256, with the actor who issued them', async () => {
    const store = new MemoryEventStore();
    const registry = new TokenRegistry(store);
    const a = await registry.issue('deploy', 'operator', 'user:alice');
    const b = await registry.issue('grafana', 'viewer', 'user:alice');
    expect(a.token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    const events = await store.readStream(`token-${a.info.id}`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'TokenIssued',
      data: { tokenId: a.info.id, name: 'deploy', role: 'operator', tokenHash: tokenHash(a.token) },
      metadata: { actor: 'user:alice' },
    });
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).not.toContain(a.token);
    expect(a.info).toEqual({
      id: a.info.id,
      name: 'deploy',
      role: 'operator',
      createdAt: anyString,
      createdBy: 'user:alice',
      revokedAt: null,
      revokedBy: null,
    });
  });

  it('authenticate: 401 without a bearer token or with an unknown one, 403 below the role, the principal otherwise', async () => {
    const registry = new TokenRegistry(new MemoryEventStore());
    const { token } = await registry.issue('deploy', 'operator', 'user:alice');
    await expect(registry.authenticate(undefined, 'viewer')).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    await expect(registry.authenticate(`Basic ${token}`, 'viewer')).rejects.toMatchObject({ status: 401 });
    await expect(registry.authenticate(bearer(`${token}x`), 'viewer')).rejects.toMatchObject({
      status: 401,
      code: 'INVALID_TOKEN',
    });
    await expect(registry.authenticate(bearer(token), 'admin')).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await registry.authenticate(bearer(token), 'operator')).toEqual({
      tokenId: anyString,
      name: 'deploy',
      role: 'operator',
      actor: 'token:deploy',
    });
    expect((await registry.authenticate(`bearer  ${token}`, 'viewer')).name).toBe('deploy');
  });

  it('one live token per name; a revoked token stops at once here and within a second on another node', async () => {
    const backend = new MemoryBackend();
    const here = new TokenRegistry(new MemoryEventStore(backend));
    const there = new TokenRegistry(new MemoryEventStore(backend));
    const { info, token } = await here.issue('deploy', 'operator', 'user:alice');
    await expect(here.issue('deploy', 'viewer', 'user:bob')).rejects.toMatchObject({
      status: 409,
      code: 'TOKEN_NAME_TAKEN',
    });
    // Another node learns of a token it has not seen at once: an unknown hash reads the store.
    expect((await there.authenticate(bearer(token), 'viewer')).actor).toBe('token:deploy');

    vi.useFakeTimers({ toFake: ['Date'] });
    const revoked = await here.revoke(info.id, 'token:root');
    expect(revoked).toMatchObject({ revokedBy: 'token:root', revokedAt: anyString });
    await expect(here.authenticate(bearer(token), 'viewer')).rejects.toMatchObject({ status: 401 });
    vi.setSystemTime(Date.now() + 1_500);
    await expect(there.authenticate(bearer(token), 'viewer')).rejects.toMatchObject({ status: 401 });
    await expect(here.revoke(info.id, 'token:root')).rejects.toMatchObject({ status: 409, code: 'TOKEN_REVOKED' });
    await expect(here.revoke('0000000000000000', 'token:root')).rejects.toMatchObject({ status: 404 });
    // Its name is free again once it is revoked.
    expect((await here.issue('deploy', 'viewer', 'user:alice')).info.role).toBe('viewer');
    const listed = await there.list();
    expect(listed.map((t) => t.name)).toEqual(['deploy', 'deploy']);
    expect(listed.filter((t) => t.revokedAt === null).map((t) => t.role)).toEqual(['viewer']);
  });
});
