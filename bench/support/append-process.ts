// One process of `bench/two-writers.ts`: appends ~1 KB receipts to a shared store file and prints
// one JSON line with its per-append latencies. `flood` keeps `concurrency` appends outstanding;
// `steady` starts one append every `1000 / rate` ms, on schedule, whether or not the last returned.
import { makeEvent } from '../../src/store/make-event.js';
import { newMessageId } from '../../src/store/message-id.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';

const [file, mode, seconds, param] = process.argv.slice(2) as [string, 'flood' | 'steady', string, string];
const body = 'x'.repeat(600);
const bodyRef = { kind: 'inline', encoding: 'utf8', content: body, size: body.length, sha256: 'a'.repeat(64) } as const;

function receipt(): { stream: string; event: ReturnType<typeof makeEvent> } {
  const messageId = newMessageId();
  const event = makeEvent(
    'MessageReceived',
    {
      messageId,
      receiveLocation: 'bench-in',
      adapter: 'nats',
      sourceKey: messageId,
      contentType: 'application/json',
      body: bodyRef,
      context: { promoted: { 'BTS.ReceivePortName': 'bench' }, written: {} },
      routing: { sendPorts: ['bench-out'], subscriptions: ['bench'] },
    },
    { actor: 'worker:bench' },
  );
  return { stream: `message-${messageId}`, event };
}

const store = new SqliteEventStore(file);
await store.ready();
// Both processes start together: the parent sends a line on stdin once both are ready.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));

const latencies: number[] = [];
let failures = 0;
const until = performance.now() + Number(seconds) * 1000;

async function appendOne(): Promise<void> {
  const { stream, event } = receipt();
  const started = performance.now();
  try {
    await store.append(stream, [event], 'no_stream');
    latencies.push(performance.now() - started);
  } catch {
    failures++;
  }
}

if (mode === 'flood') {
  await Promise.all(
    Array.from({ length: Number(param) }, async () => {
      while (performance.now() < until) await appendOne();
    }),
  );
} else {
  const interval = 1000 / Number(param);
  const pending: Promise<void>[] = [];
  for (let due = performance.now(); due < until; due += interval) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(appendOne());
  }
  await Promise.all(pending);
}
await store.close();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const round = (ms: number) => Math.round(ms * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    mode,
    appends: latencies.length,
    failures,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
    over500msCount: latencies.filter((l) => l > 500).length,
    over2sCount: latencies.filter((l) => l > 2000).length,
  })}\n`,
);
