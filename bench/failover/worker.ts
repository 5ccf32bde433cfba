// One worker process of `signalbox bench failover`: a singleton handler that writes a claim to
// the fenced stream every 100 ms, reporting on stdout (JSON lines, wall-clock `at`) its state
// transitions, the first accepted write of each term, any refused write, and every second a summary
// of its renewals: how late they were sent, how long their acknowledgement took, and how close
// the holder came to its own deadline.
import { parseArgs } from 'node:util';
import { makeEvent } from '../../src/store/make-event.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { startHostInstance } from '../../src/workers/host-instance.js';
import { sleep, systemClock } from '../../src/workers/lease/clock.js';
import { runSingleton, type RenewalTiming, type SingletonContext } from '../../src/workers/lease/index.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    resource: { type: 'string' },
    location: { type: 'string' },
    ttl: { type: 'string' },
  },
});

function say(fact: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...fact, pid: process.pid, at: Date.now() })}\n`);
}

const store = new SqliteEventStore(values.store!);
const instance = await startHostInstance(store, 'bench', 'bench');
const holder = instance.identity.instance;

let renewals: RenewalTiming[] = [];
const summary = setInterval(() => {
  if (renewals.length === 0) return;
  say({
    ev: 'renewals',
    count: renewals.length,
    maxLateMs: Math.max(...renewals.map((r) => r.lateMs)),
    maxAckMs: Math.max(...renewals.map((r) => r.ackMs)),
    minSlackMs: Math.min(...renewals.map((r) => r.slackMs)),
  });
  renewals = [];
}, 1000);

async function handler(ctx: SingletonContext): Promise<void> {
  const fenced = await ctx.fence(values.location!);
  let first = true;
  for (let n = 0; !ctx.signal.aborted; n++) {
    const claim = makeEvent(
      'QueueMessageClaimed',
      { location: values.location!, queue: 'bench', sourceId: `${ctx.term}-${n}`, messageId: `${holder}-${n}` },
      { actor: holder },
    );
    try {
      await fenced.append([claim]);
      if (first) say({ ev: 'first-write', term: ctx.term, id: claim.id });
      first = false;
    } catch (error) {
      say({ ev: 'refused', term: ctx.term, code: (error as { code?: string }).code });
    }
    await sleep(systemClock, 100, ctx.signal);
  }
}

const worker = runSingleton(store, {
  resource: values.resource!,
  holder,
  ...(values.ttl ? { ttlMs: Number(values.ttl) } : {}),
  handler,
  onRenewal: (timing) => renewals.push(timing),
  onTransition: (state) => say({ ev: 'state', ...state }),
  onError: (error) => say({ ev: 'error', message: (error as Error).message }),
});

process.once('SIGTERM', () => {
  void (async () => {
    clearInterval(summary);
    await worker.stop();
    await instance.stop('SIGTERM');
    await store.close();
    process.exit(0);
  })();
});
say({ ev: 'ready', holder, options: worker.manager.options });
