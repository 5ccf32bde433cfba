import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseBindings } from '../../src/domain/config/index.js';
import { projectRoot } from '../../bench/support/cli-worker.js';
import { tempDir } from '../support/temp-dir.js';

// No Kubernetes here: the manifests are checked as data, the way the API server would read them.

type Probe = { httpGet?: { path: string; port: string | number } };
type Container = {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
};
type Manifest = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports?: { name: string; port: number; targetPort?: string | number }[];
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  resources?: string[];
};

const folder = join(projectRoot, 'infra', 'k8s');
const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));
const manifests: Manifest[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return doc.toJS() as Manifest;
    }),
  );
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const workloads = [...byKind('Deployment'), ...byKind('StatefulSet')];
const named = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const dir = tempDir('infra-k8s');
afterAll(() => dir.cleanup());

describe('infra/k8s manifests', () => {
  it('parse, all in the signalbox namespace, and kustomization lists every file', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(10);
    for (const m of manifests.filter((m) => m.kind !== 'Namespace'))
      expect(m.metadata.namespace, m.metadata.name).toBe('signalbox');
    const kustomization = parseAllDocuments(
      readFileSync(join(folder, 'kustomization.yaml'), 'utf8'),
    )[0]!.toJS() as Manifest;
    expect([...kustomization.resources!].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('every workload’s selector matches its pod labels, and every Service selects a workload', () => {
    for (const w of workloads) {
      const selector = w.spec!.selector!.matchLabels!;
      expect(Object.keys(selector).length, w.metadata.name).toBeGreaterThan(0);
      expect(matches(selector, w.spec!.template!.metadata.labels), w.metadata.name).toBe(true);
    }
    for (const service of byKind('Service')) {
      const selector = service.spec!.selector as Record<string, string>;
      const selected = workloads.filter((w) => matches(selector, w.spec!.template!.metadata.labels));
      expect(selected.length, service.metadata.name).toBe(1);
      // Named target ports exist on the selected pods.
      const portNames = selected[0]!.spec!.template!.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.name);
      for (const port of service.spec!.ports!) {
        if (typeof port.targetPort === 'string') expect(portNames, service.metadata.name).toContain(port.targetPort);
      }
    }
  });

  it('every container has a pinned image, resource requests and limits, and probes on a declared port', () => {
    for (const w of workloads) {
      for (const c of w.spec!.template!.spec.containers) {
        const where = `${w.metadata.name}/${c.name}`;
        expect(c.image, where).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+[A-Za-z0-9.-]*$/);
        expect(Object.keys(c.resources?.requests ?? {}).sort(), where).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources?.limits ?? {}).sort(), where).toEqual(['cpu', 'memory']);
        const portNames = (c.ports ?? []).map((p) => p.name);
        for (const probe of [c.livenessProbe, c.readinessProbe]) {
          expect(probe?.httpGet, where).toBeDefined();
          expect(portNames, where).toContain(probe!.httpGet!.port);
        }
      }
    }
  });

  it('workers scale by replicas, probe /health/live and /health/ready, and get the API Service', () => {
    const worker = named('Deployment', 'signalbox-worker')!;
    expect(worker.spec!.replicas).toBeGreaterThanOrEqual(2);
    for (const name of ['signalbox-worker', 'signalbox-api']) {
      const container = named('Deployment', name)!.spec!.template!.spec.containers[0]!;
      expect(container.livenessProbe!.httpGet!.path, name).toBe('/health/live');
      expect(container.readinessProbe!.httpGet!.path, name).toBe('/health/ready');
    }
    const args = worker.spec!.template!.spec.containers[0]!.args!;
    expect(args[0]).toBe('worker');
    expect(args[args.indexOf('--nats-replicas') + 1]).toBe('3');
    expect(args[args.indexOf('--blobs') + 1]).toBe('nats');
    expect(args[args.indexOf('--store') + 1]).toBe('$(SIGNALBOX_STORE)');
    const service = named('Service', 'signalbox-api')!;
    expect(
      matches(
        service.spec!.selector as Record<string, string>,
        named('Deployment', 'signalbox-api')!.spec!.template!.metadata.labels,
      ),
    ).toBe(true);
  });

  it('takes the master key and the store location from a Secret, and mounts only volumes that exist', () => {
    for (const w of workloads) {
      const pod = w.spec!.template!.spec;
      const volumeNames = [
        ...(pod.volumes ?? []).map((v) => v.name),
        ...(w.spec!.volumeClaimTemplates ?? []).map((t) => t.metadata.name),
      ];
      for (const c of pod.containers) {
        for (const mount of c.volumeMounts ?? [])
          expect(volumeNames, `${w.metadata.name}: ${mount.name}`).toContain(mount.name);
        for (const env of c.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = named('Secret', ref.name);
          expect(secret?.stringData ?? secret?.data, `${w.metadata.name}: ${env.name}`).toHaveProperty(ref.key);
        }
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.configMap) expect(named('ConfigMap', volume.configMap.name), volume.name).toBeDefined();
        if (volume.secret) expect(named('Secret', volume.secret.secretName), volume.name).toBeDefined();
      }
    }
    for (const name of ['signalbox-worker', 'signalbox-api']) {
      const env = named('Deployment', name)!.spec!.template!.spec.containers[0]!.env!;
      expect(env.find((e) => e.name === 'SIGNALBOX_MASTER_KEY')?.valueFrom?.secretKeyRef).toEqual({
        name: 'signalbox-secrets',
        key: 'master-key',
      });
      // Never a literal master key in a manifest.
      expect(env.find((e) => e.name === 'SIGNALBOX_MASTER_KEY')?.value).toBeUndefined();
    }
  });

  it('ships bindings the engine accepts and a NATS configuration nats-server accepts', () => {
    const bindings = named('ConfigMap', 'signalbox-bindings')!.data!['bindings.yaml']!;
    expect(parseBindings(parseAllDocuments(bindings)[0]!.toJS()).sendPorts.length).toBeGreaterThan(0);
    const natsConf = join(dir.path, 'nats.conf');
    writeFileSync(natsConf, named('ConfigMap', 'nats-config')!.data!['nats.conf']!);
    const run = spawnSync('nats-server', ['-t', '-c', natsConf], {
      encoding: 'utf8',
      env: { ...process.env, POD_NAME: 'nats-0' },
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(named('StatefulSet', 'nats')!.spec!.replicas).toBe(3);
  });
});
