import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/store/event-store.js';
import { SqliteEventStore } from '../src/store/sqlite/index.js';
import { resolveLeaseOptions } from '../src/workers/lease/options.js';
import { saturateCpus, WorkerProcess, type Fact } from './failover/processes.js';
import { progress, report } from './report.js';

export interface FailoverBenchOptions {
  readonly json: boolean;
  /** Kill cycles in the first phase. Default 20. */
  readonly kills?: number;
  /** Length of the full-CPU phase. Default 600; 0 skips it. */
  readonly loadSeconds?: number;
  /** The workers' lease ttl. Default: the engine's default. */
  readonly ttlMs?: number;
  readonly dir?: string;
}

const resource = 'location-bench';
const leaseStream = `lease-${resource}`;
const location = 'location-bench';
const WORKERS = 3;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const termOf = (e: RecordedEvent) => (e.data as { term: number }).term;

/** The first accepted handler write of a term above `term`, by any of `workers`. */
async function nextTermWrite(
  workers: Iterable<WorkerProcess>,
  term: number,
): Promise<{ worker: WorkerProcess; fact: Fact }> {
  const decided = new AbortController();
  try {
    return await Promise.race(
      [...workers].map((worker) =>
        worker
          .waitFor((f) => f.ev === 'first-write' && (f.term as number) > term, 60_000, { signal: decided.signal })
          .then((fact) => ({ worker, fact })),
      ),
    );
  } finally {
    decided.abort();
  }
}

/**
 * `signalbox bench failover`. Phase 1: three workers share one lease on one SQLite file; the
 * holder is SIGKILLed `kills` times, each at a random point of its renewal cycle, and each time
 * the bench measures from the kill to the first accepted fenced write of the new holder (the
 * store's commit timestamp; both are this machine's wall clock). Phase 2: every core is saturated
 * by a busy loop for `loadSeconds` while the three workers run on; nobody dies, so every change of
 * hands is a false failover. Throughout, every lease event is followed live, and at the end the
 * fenced stream is checked for writes that a deposed holder got accepted.
 */
export async function benchFailover(options: FailoverBenchOptions): Promise<Record<string, unknown>> {
  const kills = options.kills ?? 20;
  const loadSeconds = options.loadSeconds ?? 600;
  const lease = resolveLeaseOptions({ resource, holder: 'bench', ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}) });
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'signalbox-bench-failover-'));
  const file = join(dir, 'events.db');
  const store = new SqliteEventStore(file);
  const following = new AbortController();
  const leaseEvents: RecordedEvent[] = [];
  const follow = (async () => {
    for await (const e of store.subscribeAll({ filter: { streamPrefixes: [leaseStream] }, signal: following.signal })) {
      leaseEvents.push(e);
    }
  })();
  const workers = new Set<WorkerProcess>();
  const everyWorker: WorkerProcess[] = [];
  const start = () => {
    const worker = new WorkerProcess({ store: file, resource, location, ttlMs: lease.ttlMs });
    workers.add(worker);
    everyWorker.push(worker);
    return worker;
  };
  const busy = [] as ReturnType<typeof saturateCpus>;
  try {
    for (let i = 0; i < WORKERS; i++) start();
    let { worker: holder, fact } = await nextTermWrite(workers, 0);
    let term = fact.term as number;

    progress(`phase 1: ${kills} kills of the lease holder (ttl ${lease.ttlMs} ms, ${WORKERS} workers)…`);
    const failoverMs: number[] = [];
    for (let i = 0; i < kills; i++) {
      await Promise.all([...workers].map((w) => w.waitFor((f) => f.ev === 'state', 30_000)));
      await wait(200 + Math.random() * lease.renewEveryMs);
      const killedAt = Date.now();
      holder.kill('SIGKILL');
      workers.delete(holder);
      ({ worker: holder, fact } = await nextTermWrite(workers, term));
      term = fact.term as number;
      const written = (await store.readStream(location, { direction: 'backwards', maxCount: 50 })).find(
        (e) => e.id === fact.id,
      );
      if (!written) throw new Error(`the write ${String(fact.id)} a worker saw accepted is not in the store`);
      failoverMs.push(written.recordedAt.getTime() - killedAt);
      progress(`  kill ${i + 1}/${kills}: ${failoverMs[failoverMs.length - 1]} ms`);
      start();
    }

    let falseFailovers = 0;
    const load = { renewals: 0, maxLateMs: 0, maxAckMs: 0, minSlackMs: Number.POSITIVE_INFINITY, writes: 0, lost: 0 };
    if (loadSeconds > 0) {
      await Promise.all([...workers].map((w) => w.waitFor((f) => f.ev === 'state', 30_000)));
      const cores = cpus().length;
      progress(`phase 2: ${loadSeconds} s with ${cores} busy processes saturating ${cores} cores…`);
      const from = new Map([...workers].map((w) => [w, w.facts.length]));
      const termsBefore = leaseEvents.filter((e) => e.type !== 'LeaseRenewed' && e.type !== 'LeaseReleased').length;
      const writtenBefore = (await store.streamRevision(location)) ?? 0n;
      busy.push(...saturateCpus(cores));
      for (let s = 0; s < loadSeconds; s += 30) {
        await wait(Math.min(30, loadSeconds - s) * 1000);
        progress(`  ${Math.min(s + 30, loadSeconds)} s`);
      }
      for (const b of busy.splice(0)) b.kill('SIGKILL');
      falseFailovers =
        leaseEvents.filter((e) => e.type !== 'LeaseRenewed' && e.type !== 'LeaseReleased').length - termsBefore;
      load.writes = Number(((await store.streamRevision(location)) ?? 0n) - writtenBefore);
      for (const [worker, index] of from) {
        for (const f of worker.facts.slice(index)) {
          if (f.ev === 'state' && f.kind === 'lost') load.lost++;
          if (f.ev !== 'renewals') continue;
          load.renewals += f.count as number;
          load.maxLateMs = Math.max(load.maxLateMs, f.maxLateMs as number);
          load.maxAckMs = Math.max(load.maxAckMs, f.maxAckMs as number);
          load.minSlackMs = Math.min(load.minSlackMs, f.minSlackMs as number);
        }
      }
    }

    await Promise.all([...workers].map((w) => w.stop()));
    workers.clear();
    following.abort();
    await follow;
    const staleWritesAccepted = staleWrites(await store.readStream(location), leaseEvents);
    const sorted = [...failoverMs].sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    const result = {
      kills,
      p50Ms: sorted.length ? percentile(sorted, 50) : null,
      p99Ms: sorted.length ? percentile(sorted, 99) : null,
      minMs: sorted.length ? sorted[0] : null,
      maxMs: sorted.length ? sorted[sorted.length - 1] : null,
      staleWritesAccepted,
      falseFailovers,
      loadSeconds,
      loadProcesses: loadSeconds > 0 ? cpus().length : 0,
      cpus: cpus().length,
      workers: WORKERS,
      ttlMs: lease.ttlMs,
      renewEveryMs: lease.renewEveryMs,
      safetyMarginMs: lease.safetyMarginMs,
      pollEveryMs: lease.pollEveryMs,
      loadRenewals: load.renewals,
      loadMaxRenewalLateMs: round(load.maxLateMs),
      loadMaxRenewalAckMs: round(load.maxAckMs),
      loadMinRenewalSlackMs: load.renewals ? round(load.minSlackMs) : null,
      loadLeasesLost: load.lost,
      loadFencedWrites: load.writes,
    };
    report('failover', result, options.json);
    return result;
  } finally {
    for (const b of busy) b.kill('SIGKILL');
    for (const w of everyWorker) w.kill('SIGKILL');
    following.abort();
    await follow.catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fenced writes that should never have been accepted: one carrying a lower term than a write
 * before it, or one of term t that landed after the lease passed to term t + 1.
 */
function staleWrites(fenced: readonly RecordedEvent[], leaseEvents: readonly RecordedEvent[]): number {
  const acquiredAt = new Map(
    leaseEvents
      .filter((e) => e.type === 'LeaseAcquired' || e.type === 'LeaseTakenOver')
      .map((e) => [termOf(e), e.position]),
  );
  let highest = 0;
  let stale = 0;
  for (const event of fenced) {
    const term = event.metadata.fence?.term ?? 0;
    const next = acquiredAt.get(term + 1);
    if (term < highest || (next !== undefined && event.position > next)) stale++;
    highest = Math.max(highest, term);
  }
  return stale;
}
