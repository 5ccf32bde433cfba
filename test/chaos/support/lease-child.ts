// One worker process of the lease chaos tests: runs a singleton handler that claims a "file"
// on the fenced stream after every --write-every ms of work, and prints one JSON line per fact: its state
// transitions, every fenced write attempt with its outcome, the handler starting and stopping.
// `at` is the wall clock (Date.now()), comparable across processes on this one machine.
//
// stdin commands: `freeze-mid-write` makes the next write freeze this process (SIGSTOP to
// itself) after the holder's checks passed and the append was handed to the store, but before
// the store saw it: the worst moment for a pause.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeEvent } from '../../../src/store/make-event.js';
import { SqliteEventStore } from '../../../src/store/sqlite/index.js';
import { startHostInstance } from '../../../src/workers/host-instance.js';
import { sleep, systemClock } from '../../../src/workers/lease/clock.js';
import {
  DEFAULT_TTL_MS,
  runSingleton,
  type Dependency,
  type SingletonContext,
} from '../../../src/workers/lease/index.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    resource: { type: 'string' },
    location: { type: 'string' },
    name: { type: 'string' },
    ttl: { type: 'string', default: String(DEFAULT_TTL_MS) },
    'write-every': { type: 'string', default: '50' },
    'health-file': { type: 'string' },
    'health-every': { type: 'string', default: '100' },
  },
});
const ttlMs = Number(values.ttl);
const writeEveryMs = Number(values['write-every']);

function log(fact: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...fact, name: values.name, pid: process.pid, at: Date.now() })}\n`);
}

let freezeNextWrite = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (chunk.includes('freeze-mid-write')) freezeNextWrite = true;
});

const store = new SqliteEventStore(values.store!);
const instance = await startHostInstance(store, 'chaos', 'test');
const holder = instance.identity.instance;

const dependencies: Dependency[] = values['health-file']
  ? [
      {
        name: 'health-file',
        check: async () => readFileSync(values['health-file']!, 'utf8').trim() === 'ok',
      },
    ]
  : [];

async function handler(ctx: SingletonContext): Promise<void> {
  log({ ev: 'handler-started', term: ctx.term });
  let seq = 0;
  try {
    const fenced = await ctx.fence(values.location!);
    log({ ev: 'fenced', term: ctx.term, revision: fenced.revision.toString() });
    while (!ctx.signal.aborted) {
      // The work (a download, say) does not watch the signal: a holder paused in the middle of it
      // goes on to write its result when it resumes, which is what fencing must stop.
      await sleep(systemClock, writeEveryMs);
      const event = makeEvent(
        'FileClaimed',
        {
          location: values.location!,
          path: `/in/${values.name}-${seq}`,
          size: seq,
          mtime: '0',
          messageId: `${holder}-${seq}`,
        },
        { actor: holder },
      );
      const freezing = freezeNextWrite;
      const attempt = { ev: 'write', term: ctx.term, seq: seq++, id: event.id, froze: freezing };
      const appending = fenced.append([event]);
      if (freezing) {
        freezeNextWrite = false;
        log({ ev: 'freezing', term: ctx.term, id: event.id });
        process.kill(process.pid, 'SIGSTOP');
      }
      try {
        const result = await appending;
        log({ ...attempt, outcome: 'accepted', revision: result.nextExpectedRevision.toString() });
      } catch (error) {
        const { code, reason, cause } = error as { code?: string; reason?: string; cause?: { code?: string } };
        log({ ...attempt, outcome: 'refused', code, reason, cause: cause?.code });
      }
    }
  } finally {
    const reason = (ctx.signal.reason as { reason?: string } | undefined)?.reason;
    log({ ev: 'handler-stopped', term: ctx.term, reason });
  }
}

const worker = runSingleton(store, {
  resource: values.resource!,
  holder,
  ttlMs,
  dependencies,
  healthEveryMs: Number(values['health-every']),
  handler,
  onTransition: (state) => log({ ev: 'state', ...state }),
  onError: (error) => log({ ev: 'error', message: (error as Error).message, code: (error as { code?: string }).code }),
});

process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop();
    await instance.stop('SIGTERM');
    await store.close();
    log({ ev: 'exited' });
    process.exit(0);
  })();
});
log({ ev: 'ready', holder });
