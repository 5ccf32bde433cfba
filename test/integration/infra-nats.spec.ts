import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { connect } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsObjectBlobStore } from '../../src/store/blob/nats-object-blob-store.js';
import { CliWorker, cliLikeThisModule } from '../../bench/support/cli-worker.js';
import { clusterConfigFiles, startNatsCluster, type NatsTestCluster } from '../chaos/support/nats-cluster.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually } from './support/engine.js';

const dir = tempDir('infra-nats');
let cluster: NatsTestCluster | undefined;
let worker: CliWorker | undefined;
afterAll(async () => {
  await worker?.stop();
  await cluster?.stop();
  dir.cleanup();
});

describe('infra/nats: the 3-node JetStream cluster configuration', () => {
  it.each(clusterConfigFiles.map((file) => [file]))('nats-server -t accepts %s', (file) => {
    const run = spawnSync('nats-server', ['-t', '-c', file], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/is valid/);
  });

  it('nats-server -t refuses a broken file (the check can fail)', () => {
    const broken = join(dir.path, 'broken.conf');
    writeFileSync(broken, 'cluster { name: signalbox\n');
    expect(spawnSync('nats-server', ['-t', '-c', broken], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it(
    'runs as a cluster: three nodes named by the files elect a meta leader; signalbox creates its work queue and object store with 3 replicas, and a large body flows through the object store',
    { timeout: 180_000 },
    async () => {
      cluster = await startNatsCluster('infra-nats');
      const nc = await connect({ servers: cluster.nodes[0]!.url });
      try {
        expect(nc.info?.cluster).toBe('signalbox');
        const names = new Set<string>();
        for (const node of cluster.nodes) {
          const each = await connect({ servers: node.url });
          names.add(each.info!.server_name);
          await each.close();
        }
        expect([...names].sort()).toEqual(['nats-1', 'nats-2', 'nats-3']);
        const jsm = await nc.jetstreamManager();
        const account = await jsm.getAccountInfo();
        expect(account.api.total).toBeGreaterThanOrEqual(0);

        const config = join(dir.path, 'bindings.json');
        const inbox = join(dir.path, 'inbox');
        const outbox = join(dir.path, 'outbox');
        mkdirSync(inbox);
        mkdirSync(outbox);
        writeFileSync(
          config,
          JSON.stringify({
            receiveLocations: [
              { name: 'in', receivePort: 'files', adapter: 'file', config: { folder: inbox, pollIntervalMs: 100 } },
            ],
            sendPorts: [
              { name: 'out', adapter: 'file', filter: "BTS.ReceivePortName == 'files'", config: { folder: outbox } },
            ],
          }),
        );
        worker = new CliWorker('infra', {
          config,
          data: join(dir.path, 'data'),
          nats: cluster.servers,
          // The sources through tsx: the same code, without waiting on a whole-project build.
          cli: cliLikeThisModule(),
          extraArgs: ['--nats-replicas', '3', '--blobs', 'nats'],
        });
        await worker.ready(120_000);

        for (const stream of ['SIGNALBOX_WORK', 'OBJ_signalbox-blobs']) {
          const info = await jsm.streams.info(stream);
          expect(info.config.num_replicas, stream).toBe(3);
          // The leader plus two replicas, on three different nodes.
          const placed = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)];
          expect(new Set(placed).size, stream).toBe(3);
        }

        // A body over the inline limit goes through the flow by way of the object store, not the disk.
        const large = randomBytes(300_000);
        writeFileSync(join(inbox, 'large.bin'), large);
        const delivered = await eventually(() => {
          const names = readdirSync(outbox).filter((name) => !name.startsWith('.'));
          return names.length === 1 ? readFileSync(join(outbox, names[0]!)) : undefined;
        }, 60_000);
        expect(delivered.equals(large)).toBe(true);
        const sha256 = createHash('sha256').update(large).digest('hex');
        const blobs = await NatsObjectBlobStore.connect({ servers: cluster.servers, replicas: 3 });
        try {
          expect(await blobs.has(sha256)).toBe(true);
        } finally {
          await blobs.close();
        }
        expect(existsSync(join(dir.path, 'data', 'blobs'))).toBe(false);

        // A body written through one node is read back through another.
        const writer = await NatsObjectBlobStore.connect({ servers: cluster.nodes[0]!.url, replicas: 3 });
        const reader = await NatsObjectBlobStore.connect({ servers: cluster.nodes[2]!.url, replicas: 3 });
        try {
          const body = Buffer.alloc(300_000, 42);
          const { sha256 } = await writer.put(Readable.from([body]));
          const chunks: Buffer[] = [];
          for await (const chunk of await reader.get(sha256)) chunks.push(chunk as Buffer);
          expect(Buffer.concat(chunks).equals(body)).toBe(true);
          expect(await reader.replicas()).toBe(3);
        } finally {
          await writer.close();
          await reader.close();
        }
      } finally {
        await nc.close();
      }
    },
  );
});
