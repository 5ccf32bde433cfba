import { headers as natsHeaders } from 'nats';
import { describe, expect, it } from 'vitest';
import { PermanentAdapterError } from '../../../src/adapters/errors.js';
import { defaultRegistry } from '../../../src/adapters/index.js';
import { headerProperties, headersFromContext } from '../../../src/adapters/nats/headers.js';
import { natsAdapter, natsReceiveConfigSchema, natsSendConfigSchema } from '../../../src/adapters/nats/index.js';

const issues = (schema: typeof natsReceiveConfigSchema | typeof natsSendConfigSchema, config: unknown) =>
  schema.safeParse(config).error?.issues.map((i) => i.path.join('.')) ?? [];

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('NATS settings', () => {
  it('needs a subject for core and a stream and durable for JetStream', () => {
    expect(issues(natsReceiveConfigSchema, {})).toEqual(['subject']);
    expect(issues(natsReceiveConfigSchema, { mode: 'jetstream' })).toEqual(['stream', 'durable']);
    expect(issues(natsReceiveConfigSchema, { mode: 'jetstream', stream: 'S', durable: 'd', queueGroup: 'q' })).toEqual([
      'queueGroup',
    ]);
    expect(issues(natsReceiveConfigSchema, { subject: 'a.*.>' })).toEqual([]);
    expect(issues(natsReceiveConfigSchema, { subject: 'a.>.b' })).toEqual(['subject']);
    expect(issues(natsSendConfigSchema, { subject: 'orders.*' })).toEqual(['subject']);
    expect(issues(natsSendConfigSchema, { subject: 'orders eu' })).toEqual(['subject']);
    expect(issues(natsSendConfigSchema, { subject: 'x', servers: 'nats://user:secret@host:4222' })).toEqual([
      'servers',
    ]);
  });

  it('applies the documented defaults, and is single-active only when ordered', () => {
    const core = natsReceiveConfigSchema.parse({ subject: 'in' });
    expect(core).toMatchObject({
      servers: 'nats://127.0.0.1:4222',
      mode: 'core',
      ordered: false,
      concurrency: 16,
      maxReconnectAttempts: 10,
    });
    const singleActive = natsAdapter.receive!.singleActive as (c: typeof core) => boolean;
    expect(singleActive(core)).toBe(false);
    expect(singleActive({ ...core, ordered: true })).toBe(true);
    expect(natsSendConfigSchema.parse({ subject: 'out' })).toMatchObject({
      mode: 'core',
      flush: true,
      timeoutMs: 5_000,
    });
  });
});

describe('NATS dynamic addresses', () => {
  const registry = defaultRegistry();
  it('parse a subject, a server and subject, and the JetStream switch', () => {
    expect(registry.forAddress('nats://orders.eu').config).toMatchObject({ subject: 'orders.eu', mode: 'core' });
    expect(registry.forAddress('nats://127.0.0.1:4333/orders.eu?jetstream').config).toMatchObject({
      servers: 'nats://127.0.0.1:4333',
      subject: 'orders.eu',
      mode: 'jetstream',
    });
    expect(registry.forAddress('NATS://localhost/x?mode=jetstream').config).toMatchObject({ mode: 'jetstream' });
    for (const address of ['nats://orders.*', 'nats://', 'nats://u:p@host/x', 'nats://host/a b']) {
      const error = thrown(() => registry.forAddress(address));
      expect(error, address).toBeInstanceOf(PermanentAdapterError);
      expect((error as PermanentAdapterError).code).toBe('NATS_ADDRESS_INVALID');
    }
  });
});

describe('NATS headers and context properties', () => {
  it('turn headers into NATS.Header.* properties, leaving out names no property can have', () => {
    const h = natsHeaders();
    h.set('X-Trace', 'abc');
    h.append('X-Multi', '1');
    h.append('X-Multi', '2');
    h.set('bad..name', 'x');
    expect(headerProperties(h)).toEqual({ 'NATS.Header.X-Trace': 'abc', 'NATS.Header.X-Multi': '1, 2' });
    expect(headerProperties(undefined)).toEqual({});
  });

  it('turn NATS.Header.* properties into headers, never a reserved Nats-* one', () => {
    const h = headersFromContext({
      promoted: { 'NATS.Header.X-Trace': 'abc', 'NATS.Header.Nats-Msg-Id': 'old', 'NATS.Subject': 'in' },
      written: { 'NATS.Header.Count': 3, 'NATS.Header.nats-expected-stream': 'S', 'FILE.ReceivedFileName': 'a' },
    });
    expect([...h.keys()].sort()).toEqual(['Count', 'X-Trace']);
    expect(h.get('Count')).toBe('3');
  });

  it('refuse a header value with CR or LF, and a name with a colon or blank', () => {
    for (const [name, value] of [
      ['X-Evil', 'a\r\nNats-Msg-Id: forged'],
      ['X Evil', 'a'],
      ['X:Evil', 'a'],
    ]) {
      const error = thrown(() => headersFromContext({ promoted: { [`NATS.Header.${name}`]: value! }, written: {} }));
      expect((error as PermanentAdapterError).code, name).toBe('NATS_HEADER_INVALID');
    }
  });
});
