import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allSubscriptions, parseBindings } from '../../src/domain/config/index.js';
import { compileSubscriptions } from '../../src/domain/routing/route.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { createSubmit } from '../../src/workers/receiver/submit.js';
import { projectRoot } from '../../bench/support/cli-worker.js';
import { tempDir } from '../support/temp-dir.js';
import { clusterConfigFiles, stopChild } from './support/nats-cluster.js';
import { createTopology, netnsUnavailable, ownNamespaces, type Topology } from './support/netns.js';
import type { PartitionWorkerSettings } from './support/partition-worker.js';

const unavailable = netnsUnavailable();
if (unavailable) process.stderr.write(`[partition] skipped: ${unavailable}\n`);

const SEND_DELAY_MS = 300;
const ACK_WAIT_MS = 4_000;
const LEASE_TTL_MS = 2_000;
const BATCH = 60;
const STEP_TIMEOUT_MS = 90_000;

const dir = tempDir('partition');
const children: ChildProcess[] = [];
let topology: Topology | undefined;
let store: SqliteEventStore | undefined;
afterAll(async () => {
  await Promise.all(children.map((child) => stopChild(child)));
  await store?.close();
  topology?.destroy();
  dir.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (text: string) => process.stderr.write(`[partition] ${text}\n`);

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

/** Runs `command` inside namespace `ns`; `ip netns exec` execs it, so the PID is the command's own. */
function spawnIn(ns: string, command: string, args: string[], log: string): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    writeFileSync(log, output);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

async function events(prefix: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of store!.readAll({ filter: { streamPrefixes: [prefix] } })) out.push(event);
  return out;
}

describe.skipIf(unavailable !== undefined)('partition: a worker and its NATS node cut off from the cluster', () => {
  it(
    'moves the cut worker’s items and the dispatcher lease to the others, sends nothing twice and loses nothing, and takes the worker back when the link returns',
    { timeout: 8 * 60_000 },
    async () => {
      topology = createTopology(3);
      const { nodes } = topology;
      const data = join(dir.path, 'data');
      const logs = join(dir.path, 'logs');
      mkdirSync(data, { recursive: true });
      mkdirSync(logs);
      const ledger = join(dir.path, 'ledger.jsonl');
      const bindings = {
        sendPorts: [
          {
            name: 'out',
            adapter: 'ledger',
            filter: "BTS.ReceivePortName == 'partition'",
            retry: { count: 50, intervalMs: 500 },
            config: { file: ledger, delayMs: SEND_DELAY_MS },
          },
        ],
      };
      // Opened first, so the schema exists before three workers race to create it.
      store = new SqliteEventStore(join(data, 'signalbox.db'));
      const blobs = await LocalBlobStore.open(join(data, 'blobs'));

      // The cluster: each node in its namespace, from its infra/nats file, on that namespace's address.
      const routes = nodes.map((n) => `nats://${n.address}:6222`).join(',');
      nodes.forEach((node, i) =>
        spawnIn(
          node.ns,
          'nats-server',
          [
            '-c',
            clusterConfigFiles[i]!,
            '-a',
            node.address,
            '-p',
            '4222',
            '-m',
            '0',
            '-sd',
            join(dir.path, `jetstream-${i + 1}`),
            '--cluster',
            `nats://${node.address}:6222`,
            '--routes',
            routes,
          ],
          join(logs, `nats-${i + 1}.log`),
        ),
      );

      const deliveries = nodes.map((_, i) => join(dir.path, `deliveries-w${i + 1}.jsonl`));
      const instances: string[] = [];
      const readyLines = nodes.map((node, i) => {
        const settings: PartitionWorkerSettings = {
          name: `w${i + 1}`,
          data,
          nats: `nats://${node.address}:4222`,
          bindings,
          deliveries: deliveries[i]!,
          leaseTtlMs: LEASE_TTL_MS,
          ackWaitMs: ACK_WAIT_MS,
          concurrency: 2,
        };
        const child = spawnIn(
          node.ns,
          process.execPath,
          [
            '--import',
            'tsx',
            join(projectRoot, 'test', 'chaos', 'support', 'partition-worker.ts'),
            JSON.stringify(settings),
          ],
          join(logs, `w${i + 1}.log`),
        );
        return new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (chunk: Buffer) => {
            const match = /ready (\S+)/.exec(chunk.toString());
            if (match) {
              instances[i] = match[1]!;
              resolve();
            }
          });
          child.once('exit', (code) => reject(new Error(`worker w${i + 1} exited (${code}); see ${logs}`)));
        });
      });
      await Promise.all(readyLines);
      progress(`three workers ready: ${instances.join(', ')}`);

      const submit = createSubmit({
        store,
        blobs,
        location: { name: 'partition-in', receivePort: 'partition', adapter: 'test' },
        routing: () => ({
          subscriptions: compileSubscriptions(allSubscriptions(parseBindings(bindings))),
          enabledPorts: new Set(['out']),
        }),
        actor: 'test',
      });
      const submitted: string[] = [];
      const submitBatch = async (label: string, count: number) => {
        for (let i = 0; i < count; i++) {
          const result = await submit({ sourceKey: `${label}-${i}`, body: Buffer.from(`${label} ${i}`) });
          if (result.status !== 'received') throw new Error(`${label}-${i}: ${JSON.stringify(result)}`);
          submitted.push(...result.messageIds);
        }
      };
      const leaseEvents = () => events('lease-dispatcher');
      const holderNow = async () => {
        const last = (await leaseEvents()).filter((e) => e.type !== 'LeaseRenewed').at(-1);
        if (!last || last.type === 'LeaseReleased') return undefined;
        return (last.data as { holder: string }).holder;
      };
      const sendState = async () => {
        const claimedBy = new Map<string, string>();
        const sent = new Map<string, number>();
        for (const event of await events('message-')) {
          const d = event.data as { messageId: string; worker?: string };
          if (event.type === 'SendClaimed') claimedBy.set(d.messageId, d.worker!);
          if (event.type === 'MessageSent') sent.set(d.messageId, (sent.get(d.messageId) ?? 0) + 1);
        }
        return { claimedBy, sent };
      };

      // 1. The dispatcher lease is held by one worker: that one will be cut off.
      const victimInstance = await until('a worker holds the dispatcher lease', holderNow);
      const victim = instances.indexOf(victimInstance);
      expect(victim).toBeGreaterThanOrEqual(0);
      progress(`w${victim + 1} holds the dispatcher lease; submitting ${BATCH} messages`);
      await submitBatch('a', BATCH);

      // 2. Cut it off while it is in the middle of sends it claimed.
      const heldAtCut = await until('the dispatcher holder is sending', async () => {
        const { claimedBy, sent } = await sendState();
        const held = [...claimedBy]
          .filter(([id, worker]) => worker === victimInstance && !sent.has(id))
          .map(([id]) => id);
        return held.length > 0 ? held : undefined;
      });
      const leaseEventsBeforeCut = (await leaseEvents()).length;
      topology.cut(victim);
      const cutAt = Date.now();
      progress(`cut w${victim + 1} off while it held ${heldAtCut.length} claimed sends`);

      // 3. Its lease goes (its queue's dependency fails) and another worker takes it.
      const moved = await until('another worker holds the dispatcher lease', async () => {
        const after = (await leaseEvents()).slice(leaseEventsBeforeCut);
        const released = after.find((e) => e.type === 'LeaseReleased' || e.type === 'LeaseTakenOver');
        const holder = await holderNow();
        return released && holder && holder !== victimInstance ? { released, holder } : undefined;
      });
      progress(`dispatcher lease: ${moved.released.type} ${JSON.stringify(moved.released.data)}; now ${moved.holder}`);

      // 4. Work submitted during the partition can only be queued by the new holder.
      await submitBatch('b', BATCH);
      await until('every message of the first two batches is sent', async () => {
        const { sent } = await sendState();
        return submitted.every((id) => sent.has(id));
      });
      const sentDuringCut = Date.now();
      progress(`all ${submitted.length} sent ${sentDuringCut - cutAt} ms after the cut`);
      // Items the cut worker held are redelivered to the others once their ack wait ran out.
      await sleep(ACK_WAIT_MS + 2_000);

      // 5. The link returns: the worker's node rejoins and the worker takes work again.
      topology.restore(victim);
      const restoredAt = Date.now();
      progress(`link of w${victim + 1} restored`);
      // Work keeps arriving (a few messages every 2 s) until the rejoined worker gets some.
      let round = 0;
      let lastSubmit = 0;
      const rejoinedAt = await until('the rejoined worker takes work again', async () => {
        const first = jsonLines<{ at: number }>(deliveries[victim]!).find((d) => d.at > restoredAt);
        if (first) return first.at;
        if (Date.now() - lastSubmit > 2_000) {
          lastSubmit = Date.now();
          await submitBatch(`c${round++}`, 10);
        }
        return undefined;
      });
      progress(`w${victim + 1} took work again ${rejoinedAt - restoredAt} ms after the link returned`);
      await until('every message is sent', async () => {
        const { sent } = await sendState();
        return submitted.every((id) => sent.has(id));
      });
      // Late redeliveries are settled against the store before the counts are taken.
      await sleep(ACK_WAIT_MS + 2_000);

      // Counts: the ledger has one line per real send; the store one MessageSent per send.
      const { sent } = await sendState();
      const lines = jsonLines<{ messageId: string; worker: string }>(ledger);
      const sendsOf = new Map<string, string[]>();
      for (const line of lines) sendsOf.set(line.messageId, [...(sendsOf.get(line.messageId) ?? []), line.worker]);
      const lost = submitted.filter((id) => !sent.has(id) || !sendsOf.has(id));
      const duplicated = submitted.filter((id) => (sent.get(id) ?? 0) > 1 || (sendsOf.get(id)?.length ?? 0) > 1);
      const victimDeliveries = jsonLines<{ messageId: string; at: number }>(deliveries[victim]!);
      const othersDeliveries = deliveries
        .filter((_, i) => i !== victim)
        .flatMap((file) => jsonLines<{ messageId: string; deliveryCount: number; at: number }>(file));
      const cutWhileHeld = new Set(victimDeliveries.filter((d) => d.at < cutAt).map((d) => d.messageId));
      const redelivered = othersDeliveries.filter(
        (d) => d.at > cutAt && d.deliveryCount > 1 && cutWhileHeld.has(d.messageId),
      );
      const finishedByVictim = heldAtCut.filter((id) => sendsOf.get(id)?.[0] === victimInstance);
      const summary = {
        messages: submitted.length,
        lost: lost.length,
        duplicated: duplicated.length,
        ledgerLines: lines.length,
        victim: victimInstance,
        heldAtCut: heldAtCut.length,
        finishedByVictimAfterCut: finishedByVictim.length,
        redeliveredToOthers: new Set(redelivered.map((d) => d.messageId)).size,
        leaseMovedTo: moved.holder,
        leaseMovedBy: moved.released.type,
        rejoinedDeliveries: victimDeliveries.filter((d) => d.at > restoredAt).length,
        rejoinMs: rejoinedAt - restoredAt,
      };
      progress(JSON.stringify(summary));

      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(lines.length).toBe(submitted.length);
      expect(finishedByVictim.length).toBeGreaterThan(0);
      expect(summary.redeliveredToOthers).toBeGreaterThan(0);
      expect(moved.holder).not.toBe(victimInstance);
      expect(summary.rejoinedDeliveries).toBeGreaterThan(0);

      await Promise.all(children.map((child) => stopChild(child)));
      topology.destroy();
      expect(ownNamespaces()).toEqual([]);
    },
  );
});
