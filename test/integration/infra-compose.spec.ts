import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';
import { parseBindings } from '../../src/domain/config/index.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import { resolveOptions } from '../../src/store/eventstoredb/options.js';
import { projectRoot } from '../../bench/support/cli-worker.js';

// The compose files cannot run here (no container engine): these checks read them as data.

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  deploy?: { replicas?: number; resources?: { limits?: Record<string, string> } };
  hostname?: string;
  healthcheck?: { test: string[] };
};
type Compose = { include?: string[]; services: Record<string, Service>; volumes?: Record<string, unknown> };

const infra = join(projectRoot, 'infra');
function load(file: string): Compose {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as Compose;
}

/** Pinned: a tag that names a version (`name:1.2.3…`), never `latest` and never a bare name. */
function expectPinned(image: string | undefined, where: string): void {
  expect(image, where).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+[A-Za-z0-9.-]*$/);
}

function namedVolumes(service: Service): string[] {
  return (service.volumes ?? []).map((v) => v.split(':')[0]!).filter((source) => !/^[./]/.test(source));
}

function commandArg(service: Service, flag: string): string | undefined {
  const command = service.command as string[];
  const at = command.indexOf(flag);
  return at < 0 ? undefined : command[at + 1];
}

describe('infra/eventstoredb/docker-compose.yml', () => {
  const compose = load(join(infra, 'eventstoredb', 'docker-compose.yml'));
  const nodes = ['esdb-1', 'esdb-2', 'esdb-3'];

  it('has three EventStoreDB nodes with pinned images, a certificate step, and declared volumes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['certificates', ...nodes]);
    for (const [name, service] of Object.entries(compose.services)) {
      expectPinned(service.image, name);
      for (const volume of namedVolumes(service)) expect(compose.volumes, `${name}: ${volume}`).toHaveProperty(volume);
    }
  });

  it.each(nodes)(
    '%s: cluster of 3, gossip to the two others, its own TLS certificate, data and logs on volumes',
    (name) => {
      const node = compose.services[name]!;
      const env = node.environment!;
      expect(env.EVENTSTORE_CLUSTER_SIZE).toBe('3');
      expect(env.EVENTSTORE_INSECURE).toBeUndefined();
      const seeds = env.EVENTSTORE_GOSSIP_SEED!.split(',').map((s) => s.split(':')[0]);
      expect(seeds.sort()).toEqual(nodes.filter((n) => n !== name));
      expect(env.EVENTSTORE_CERTIFICATE_FILE).toBe(`/certs/${name}/node.crt`);
      expect(env.EVENTSTORE_CERTIFICATE_PRIVATE_KEY_FILE).toBe(`/certs/${name}/node.key`);
      expect(env.EVENTSTORE_TRUSTED_ROOT_CERTIFICATES_PATH).toBe('/certs/ca');
      expect(node.depends_on).toHaveProperty('certificates');
      const targets = (node.volumes ?? []).map((v) => v.split(':')[1]);
      expect(targets).toEqual(expect.arrayContaining(['/certs', '/var/lib/eventstore', '/var/log/eventstore']));
      // Published on the loopback interface of the host only.
      for (const port of node.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:2113$/);
      // The certificate step makes one certificate per node, named for its host.
      expect(String(compose.services.certificates!.command)).toContain(`-out /certs/${name} -dns-names ${name}`);
    },
  );

  it('signalbox.env holds a connection string the client and the store both accept: discovery, TLS, leader', () => {
    const line = readFileSync(join(infra, 'eventstoredb', 'signalbox.env'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('SIGNALBOX_STORE='))!;
    const connection = line.slice('SIGNALBOX_STORE='.length).replace('${ESDB_PASSWORD}', 'secret');
    const settings = parseConnectionString(connection);
    expect(settings).toMatchObject({
      dnsDiscover: true,
      tls: true,
      tlsCAFile: '/certs/ca/ca.crt',
      nodePreference: 'leader',
      hosts: nodes.map((address) => ({ address, port: 2113 })),
    });
    expect(resolveOptions({ connectionString: connection }).endpoint).toBe(
      'esdb+discover://esdb-1:2113,esdb-2:2113,esdb-3:2113',
    );
  });
});

describe('infra/deploy/docker-compose.yml', () => {
  const file = join(infra, 'deploy', 'docker-compose.yml');
  const compose = load(file);
  const included = (compose.include ?? []).map((path) => load(resolve(dirname(file), path)));
  const services = { ...Object.assign({}, ...included.map((c) => c.services)), ...compose.services } as Record<
    string,
    Service
  >;
  const volumes = { ...Object.assign({}, ...included.map((c) => c.volumes)), ...compose.volumes } as Record<
    string,
    unknown
  >;

  it('brings the event store cluster, the NATS cluster, the workers and the API', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'certificates', 'esdb-1', 'esdb-2', 'esdb-3', 'nats-1', 'nats-2', 'nats-3', 'worker'].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expectPinned(service.image, name);
      for (const volume of namedVolumes(service)) expect(volumes, `${name}: ${volume}`).toHaveProperty(volume);
    }
  });

  it.each([1, 2, 3])('nats-%i runs its own infra/nats file with its store on a volume', (i) => {
    const node = services[`nats-${i}`]!;
    expect(node.hostname).toBe(`nats-${i}`);
    const config = node.volumes!.find((v) => v.endsWith(':/etc/nats/nats.conf:ro'))!;
    expect(resolve(dirname(file), config.split(':')[0]!)).toBe(join(infra, 'nats', `nats-${i}.conf`));
    expect(node.command).toEqual(['-c', '/etc/nats/nats.conf', '-sd', '/data/jetstream']);
    expect(node.volumes).toContain(`nats-${i}-data:/data`);
  });

  it('runs N workers on the clustered store, replicated streams and the object store, with health checks', () => {
    const worker = services.worker!;
    expect(worker.command![0]).toBe('worker');
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(Object.keys(worker.deploy?.resources?.limits ?? {}).sort()).toEqual(['cpus', 'memory']);
    expect(commandArg(worker, '--nats-replicas')).toBe('3');
    expect(commandArg(worker, '--blobs')).toBe('nats');
    expect(commandArg(worker, '--nats')!.split(',')).toEqual([
      'nats://nats-1:4222',
      'nats://nats-2:4222',
      'nats://nats-3:4222',
    ]);
    const store = commandArg(worker, '--store')!.replace('${ESDB_PASSWORD:-changeit}', 'secret');
    expect(parseConnectionString(store)).toMatchObject({ dnsDiscover: true, tls: true, nodePreference: 'leader' });
    expect(worker.environment).toHaveProperty('SIGNALBOX_MASTER_KEY');
    expect(worker.healthcheck!.test.join(' ')).toContain('/health/ready');
    expect(worker.volumes).toEqual(
      expect.arrayContaining(['./bindings.yaml:/etc/signalbox/bindings.yaml:ro', 'certs:/certs:ro']),
    );
    expect(existsSync(join(infra, 'deploy', 'bindings.yaml'))).toBe(true);
  });

  it('publishes the API on the loopback interface and checks its readiness', () => {
    const api = services.api!;
    expect(api.command![0]).toBe('api');
    expect(api.ports).toEqual(['127.0.0.1:7070:7070']);
    expect(commandArg(api, '--listen')).toBe('0.0.0.0:7070');
    expect(api.healthcheck!.test.join(' ')).toContain('/health/ready');
  });

  it('ships bindings that the engine accepts', () => {
    const bindings = parseBindings(parse(readFileSync(join(infra, 'deploy', 'bindings.yaml'), 'utf8')));
    const registry = defaultRegistry();
    bindings.receiveLocations.forEach((l, i) =>
      registry.receiveConfig(l.adapter, l.config, `receiveLocations.${i}.config`),
    );
    bindings.sendPorts.forEach((p, i) => {
      expect(p.adapter, p.name).toBe('file');
      registry.sendConfig('file', p.config, `sendPorts.${i}.config`);
    });
    expect(bindings.sendPorts.map((p) => p.name)).toEqual(['outbox']);
  });
});
