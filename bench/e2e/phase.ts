import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer } from '../../test/support/nats-server.js';
import { progress } from '../report.js';
import { CliWorker, cliLikeThisModule } from '../support/cli-worker.js';
import { RECEIVE_LOCATION, routedFlow, sendBoundFlow, SUBJECT_IN, SUBJECT_OUT, SUBJECT_SLOW } from './flows.js';
import { runTraffic, startResponder, type TrafficResult } from './traffic.js';

export interface PhaseOptions {
  readonly label: string;
  readonly flow: 'routed' | 'send-bound';
  readonly workers: number;
  readonly messages: number;
  readonly ratePerSec: number;
  /** `--concurrency` of each worker; default the CLI's. */
  readonly concurrency?: number;
  /**
   * Offer this many seconds of traffic at the full rate before the measured run, reported apart
   * as `warmUp`: a worker that has handled a few hundred messages still runs mostly unoptimised
   * code, and its first second at full rate measures the JIT rather than the flow.
   */
  readonly warmUpSeconds?: number;
  /** Also measure latency at half the measured throughput when the offered rate was not kept up. */
  readonly latencyProbe?: boolean;
  /** Write each worker's CPU profile here (`--cpu-prof`). */
  readonly profileDir?: string;
  /** Keep the phase's folder (store, bindings, worker logs) for a post-mortem; its path is printed. */
  readonly keep?: boolean;
  readonly dir: string;
}

export interface PhaseResult extends TrafficResult {
  readonly workers: number;
  readonly offeredPerSec: number;
  readonly concurrency: number | 'default';
  /** Events written per received message, counted from the store after the run. */
  readonly eventsPerMessage: number;
  readonly eventsByType: Record<string, number>;
  /** The run at the full rate before the measured one (`warmUpSeconds`); its losses count too. */
  readonly warmUp?: { messages: number; p50Ms: number; p99Ms: number; lost: number; duplicates: number };
  /** Latency with the offered rate at half the throughput measured, when the full rate was not kept up. */
  readonly atHalfLoad?: { offeredPerSec: number; p50Ms: number; p99Ms: number; lost: number };
  /** Workers that needed SIGKILL to stop. */
  readonly uncleanStops: number;
}

const WARMUP_BATCH = 200;

/**
 * One phase: a fresh nats-server and data folder, `workers` worker processes of the built (or
 * source) CLI sharing the folder's SQLite store and a NATS work queue, a warm-up until every
 * worker has received messages, then the measured traffic.
 */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const nats = await startNatsServer('bench-e2e');
  const dir = mkdtempSync(join(options.dir, `${options.label}-`));
  const data = join(dir, 'data');
  mkdirSync(data);
  const config = join(dir, 'bindings.json');
  const flow = options.flow === 'routed' ? routedFlow(nats.url) : sendBoundFlow(nats.url);
  writeFileSync(config, JSON.stringify(flow));
  const workers = Array.from(
    { length: options.workers },
    (_, i) =>
      new CliWorker(`bench${i + 1}`, {
        config,
        data,
        nats: nats.url,
        cli: cliLikeThisModule(),
        logLevel: 'warn',
        logFile: join(dir, `bench${i + 1}.log`),
        ...(options.concurrency ? { extraArgs: ['--concurrency', String(options.concurrency)] } : {}),
        ...(options.profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] } : {}),
      }),
  );
  let nc: NatsConnection | undefined;
  try {
    // The start line is logged at info; with the workers at warn, readiness is the warm-up's job.
    nc = await connect({ servers: nats.url, name: 'bench-e2e' });
    if (options.flow === 'send-bound') startResponder(nc, SUBJECT_SLOW, 5);
    const traffic = { subjectIn: SUBJECT_IN, subjectOut: SUBJECT_OUT, stallMs: 30_000 };
    let nextId = await warmUp(nc, join(data, 'signalbox.db'), workers, traffic);

    let warm: PhaseResult['warmUp'];
    if (options.warmUpSeconds) {
      const count = Math.round(options.warmUpSeconds * options.ratePerSec);
      progress(`  ${options.label}: warming up, ${count} messages at ${options.ratePerSec}/s…`);
      const run = await runTraffic(nc, { ...traffic, count, ratePerSec: options.ratePerSec, firstId: nextId });
      nextId += count;
      warm = { messages: count, p50Ms: run.p50Ms, p99Ms: run.p99Ms, lost: run.lost, duplicates: run.duplicates };
      progress(`  ${options.label}: warm-up p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, lost ${run.lost}`);
    }
    progress(`  ${options.label}: ${options.messages} messages offered at ${options.ratePerSec}/s…`);
    const measured = await runTraffic(nc, {
      ...traffic,
      count: options.messages,
      ratePerSec: options.ratePerSec,
      firstId: nextId,
    });
    nextId += options.messages;
    progress(
      `  ${options.label}: ${measured.msgsPerSec} msg/s, p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms, lost ${measured.lost}`,
    );

    let atHalfLoad: PhaseResult['atHalfLoad'];
    if (options.latencyProbe && measured.msgsPerSec < 0.95 * options.ratePerSec) {
      const rate = Math.max(50, Math.round(measured.msgsPerSec / 2));
      const count = Math.max(1_000, Math.min(options.messages, rate * 10));
      progress(`  ${options.label}: latency at half load, ${count} messages at ${rate}/s…`);
      const half = await runTraffic(nc, { ...traffic, count, ratePerSec: rate, firstId: nextId });
      atHalfLoad = { offeredPerSec: rate, p50Ms: half.p50Ms, p99Ms: half.p99Ms, lost: half.lost };
    }

    const stops = await Promise.all(workers.map((w) => w.stop(5_000)));
    const counted = countEvents(join(data, 'signalbox.db'));
    return {
      ...measured,
      workers: options.workers,
      offeredPerSec: options.ratePerSec,
      concurrency: options.concurrency ?? 'default',
      ...counted,
      ...(warm ? { warmUp: warm } : {}),
      ...(atHalfLoad ? { atHalfLoad } : {}),
      uncleanStops: stops.filter((s) => !s.clean).length,
    };
  } finally {
    await Promise.all(workers.map((w) => w.kill9()));
    await nc?.close().catch(() => undefined);
    await nats.stop();
    if (options.keep) progress(`  ${options.label}: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Sends small batches until every batch arrives and every worker has received some: a core NATS
 * message published before a receiver has subscribed is gone, so the measured run must not start
 * before all of them listen. Returns the next free message id.
 */
async function warmUp(
  nc: NatsConnection,
  storeFile: string,
  running: readonly CliWorker[],
  traffic: { subjectIn: string; subjectOut: string; stallMs: number },
): Promise<number> {
  const workers = running.length;
  // Generous: on a machine shared with other work (a test run's other suites fsyncing hundreds of
  // megabytes), a worker's first receipts can take tens of seconds; nothing here is measured.
  const deadline = Date.now() + 120_000;
  let nextId = 0;
  let receiving = 0;
  for (;;) {
    const batch = await runTraffic(nc, {
      ...traffic,
      count: WARMUP_BATCH,
      ratePerSec: 1_000,
      firstId: nextId,
      // Until every worker listens, a batch loses what was published before (2 s tells); then a
      // send-bound flow on a busy machine may take several seconds for a batch, and waiting for it
      // keeps the next batch from piling onto a backlog.
      stallMs: receiving >= workers ? 10_000 : 2_000,
    });
    nextId += WARMUP_BATCH;
    receiving = receivers(storeFile);
    if (batch.lost === 0 && receiving >= workers) return nextId;
    if (Date.now() > deadline) {
      throw new Error(
        `the workers did not all receive within 120 s: ${receiving} of ${workers} received, the last batch lost ${batch.lost} of ${WARMUP_BATCH}\n` +
          running
            .map((w) => `${w.name}: ${w.running ? 'running' : 'exited'}; stderr ends:\n${w.stderrTail()}`)
            .join('\n'),
      );
    }
    await sleep(200);
  }
}

/** How many worker instances have received a message (each `MessageReceived` names its actor). */
function receivers(storeFile: string): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(storeFile, { readonly: true, fileMustExist: true });
    return db
      .prepare(
        "SELECT count(DISTINCT json_extract(metadata, '$.actor')) FROM events WHERE type = 'MessageReceived' AND json_extract(data, '$.receiveLocation') = ?",
      )
      .pluck()
      .get(RECEIVE_LOCATION) as number;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/**
 * Every event the flow wrote, per message received from the input: the message streams and, for
 * the send-bound flow, the correlations of its replies. Lease and host events are not per message.
 */
function countEvents(storeFile: string): Pick<PhaseResult, 'eventsPerMessage' | 'eventsByType'> {
  const db = new Database(storeFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT type, count(*) AS n FROM events WHERE stream LIKE 'message-%' OR stream LIKE 'correlation-%' GROUP BY type",
      )
      .all() as { type: string; n: number }[];
    const inputs = db
      .prepare(
        "SELECT count(*) FROM events WHERE type = 'MessageReceived' AND json_extract(data, '$.receiveLocation') = ?",
      )
      .pluck()
      .get(RECEIVE_LOCATION) as number;
    const eventsByType = Object.fromEntries(rows.map((r) => [r.type, r.n]));
    const total = rows.reduce((sum, r) => sum + r.n, 0);
    return { eventsPerMessage: Math.round((total / inputs) * 100) / 100, eventsByType };
  } finally {
    db.close();
  }
}
