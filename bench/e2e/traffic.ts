import { setTimeout as sleep } from 'node:timers/promises';
import { headers, type NatsConnection, type Subscription } from 'nats';

export interface TrafficOptions {
  readonly subjectIn: string;
  readonly subjectOut: string;
  readonly count: number;
  /** Offered load, messages per second, open loop: message i is due at start + i / rate. */
  readonly ratePerSec: number;
  /** Ids of this run start here, so stragglers of an earlier run are told apart. */
  readonly firstId: number;
  /** Give up waiting once no message has arrived for this long. */
  readonly stallMs: number;
}

export interface TrafficResult {
  readonly published: number;
  readonly arrived: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Delivered messages over the time from the first publish to the last arrival. */
  readonly msgsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly seconds: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Publishes `count` messages to `subjectIn` at a fixed rate and times each one's arrival on
 * `subjectOut`. Latency runs from the moment a message was due, not from when the publisher got
 * round to it, so a stalled publisher cannot hide queueing (no coordinated omission).
 */
export async function runTraffic(nc: NatsConnection, options: TrafficOptions): Promise<TrafficResult> {
  const { count, firstId } = options;
  const dueAt = new Float64Array(count);
  const arrivedAt = new Float64Array(count);
  let arrived = 0;
  let duplicates = 0;
  let lastArrival = performance.now();
  const sink: Subscription = nc.subscribe(options.subjectOut, {
    callback: (error, msg) => {
      if (error) return;
      const id = (JSON.parse(new TextDecoder().decode(msg.data)) as { id: number }).id - firstId;
      if (id < 0 || id >= count) return;
      lastArrival = performance.now();
      if (arrivedAt[id] !== 0) {
        duplicates++;
        return;
      }
      arrivedAt[id] = lastArrival;
      arrived++;
    },
  });
  await nc.flush();

  const h = headers();
  h.set('kind', 'order');
  const start = performance.now();
  let published = 0;
  while (published < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * options.ratePerSec) / 1000) + 1);
    for (; published < due; published++) {
      dueAt[published] = start + (published * 1000) / options.ratePerSec;
      nc.publish(options.subjectIn, JSON.stringify({ id: firstId + published }), { headers: h });
    }
    await sleep(1);
  }
  await nc.flush();
  lastArrival = Math.max(lastArrival, performance.now());
  while (arrived < count && performance.now() - lastArrival < options.stallMs) await sleep(50);
  sink.unsubscribe();

  const latencies: number[] = [];
  let last = start;
  for (let i = 0; i < count; i++) {
    if (arrivedAt[i] === 0) continue;
    latencies.push(arrivedAt[i]! - dueAt[i]!);
    last = Math.max(last, arrivedAt[i]!);
  }
  latencies.sort((a, b) => a - b);
  const seconds = (last - start) / 1000;
  return {
    published,
    arrived,
    lost: count - arrived,
    duplicates,
    msgsPerSec: Math.round(arrived / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
    seconds: round(seconds, 2),
  };
}

/** Answers every request on `subject` after `delayMs`, with the request's body: a slow service. */
export function startResponder(nc: NatsConnection, subject: string, delayMs: number): Subscription {
  return nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error) return;
      setTimeout(() => msg.respond(msg.data), delayMs);
    },
  });
}
