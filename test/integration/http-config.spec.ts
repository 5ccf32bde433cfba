import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../../src/adapters/index.js';
import { parseBindings } from '../../src/domain/config/index.js';

const registry = defaultRegistry();
const receive = (config: unknown) => registry.receiveConfig('http', config, 'config');
const send = (config: unknown) => registry.sendConfig('http', config, 'config');

/** The yaml blocks of a markdown text, from the first line matching `after` on. */
function yamlBlocks(file: string, after: RegExp): string[] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  const from = text.search(after);
  const rest = text.slice(from);
  const end = rest.slice(1).search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end + 1);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('HTTP adapter settings', () => {
  it('fills in defaults and parses the listen address', () => {
    expect(receive({ path: '/in' })).toMatchObject({
      listen: '127.0.0.1:8080',
      address: { host: '127.0.0.1', port: 8080 },
      maxBodyBytes: 16 * 1024 * 1024,
      promoteHeaders: [],
    });
    expect(receive({ path: '/in', listen: '0.0.0.0:9000' })).toMatchObject({
      address: { host: '0.0.0.0', port: 9000 },
    });
    expect(receive({ path: '/in', listen: '[::1]:9001' })).toMatchObject({ address: { host: '::1', port: 9001 } });
    expect(receive({ path: '/in', listen: ':9002' })).toMatchObject({ address: { host: '127.0.0.1', port: 9002 } });
    expect(send({ url: 'http://127.0.0.1/x' })).toMatchObject({
      method: 'POST',
      timeoutMs: 30_000,
      idempotencyKey: true,
    });
  });

  it('names the bad field', () => {
    expect(() => receive({ path: 'in' })).toThrow(/config\.path/);
    expect(() => receive({ path: '/in', listen: '127.0.0.1:70000' })).toThrow(/config\.listen/);
    expect(() => receive({ path: '/in', promoteHeaders: ['Cookie'] })).toThrow(
      /config\.promoteHeaders\.0.*credentials/,
    );
    expect(() => receive({ path: '/in', bogus: 1 })).toThrow(/bogus/);
    expect(() => send({ url: 'ftp://x/y' })).toThrow(/config\.url/);
    expect(() => send({ url: 'http://x', method: 'GET' })).toThrow(/config\.method/);
    expect(() => send({ url: 'http://x', auth: { type: 'basic', username: 'u', password: 'pw' } })).toThrow(
      /config\.auth\.password.*secret/,
    );
    expect(() => send({ url: 'https://x', tls: { ca: 'not pem' } })).toThrow(/config\.tls\.ca/);
  });

  it('accepts the examples of the README and of docs/adapters/http.md', () => {
    const blocks = [...yamlBlocks('README.md', /^### HTTP$/m), ...yamlBlocks('docs/adapters/http.md', /^## Example$/m)];
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      const bindings = parseBindings(parse(block), 'example');
      bindings.receiveLocations.forEach((l, i) =>
        registry.receiveConfig(l.adapter, l.config, `receiveLocations.${i}.config`),
      );
      bindings.sendPorts.forEach(
        (p, i) => p.adapter && registry.sendConfig(p.adapter, p.config, `sendPorts.${i}.config`),
      );
    }
  });
});
