import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaViolation } from '../../src/domain/errors.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { WrongExpectedRevision } from '../../src/store/errors.js';
import { eventHash, GENESIS_HASH } from '../../src/store/event-hash.js';
import { makeEvent } from '../../src/store/make-event.js';
import { noteEvent, noteOf, uniqueName } from '../support/events.js';

export interface EventStoreHarness {
  /** Opens a store (a new client/connection each time) on the shared backing store. */
  open(): Promise<EventStore>;
  /** The location string `openStore` accepts, for child processes; omit to skip process races. */
  location?: () => string;
}

const racer = fileURLToPath(new URL('./racer-child.ts', import.meta.url));

async function collect(iterable: AsyncIterable<RecordedEvent>, limit = Number.POSITIVE_INFINITY) {
  const out: RecordedEvent[] = [];
  for await (const event of iterable) {
    out.push(event);
    if (out.length >= limit) break;
  }
  return out;
}

/** Recomputes each event's audit hash from what was read back, chaining from `previous`. */
function expectChained(events: readonly RecordedEvent[], previous = GENESIS_HASH) {
  for (const e of events) {
    const content = {
      stream: e.streamId,
      id: e.id,
      type: e.type,
      data: JSON.stringify(e.data),
      metadata: JSON.stringify(e.metadata),
    };
    expect(e.hash, `${e.streamId}@${e.revision}`).toBe(
      eventHash(previous, content, e.revision, e.recordedAt.getTime()),
    );
    previous = e.hash!;
  }
}

async function expectConflict(promise: Promise<unknown>, actual: bigint | 'no_stream') {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WrongExpectedRevision);
  expect((error as WrongExpectedRevision).actual).toBe(actual);
}

/** The behaviour every EventStore implementation must have. */
export function eventStoreContract(name: string, harness: EventStoreHarness): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let other: EventStore;

    beforeAll(async () => {
      store = await harness.open();
      other = await harness.open();
    });
    afterAll(async () => {
      await store?.close();
      await other?.close();
    });

    describe('expected revision', () => {
      it('no_stream creates a stream and then conflicts with its actual revision', async () => {
        const s = uniqueName('message-');
        const first = await store.append(s, [noteEvent(0)], 'no_stream');
        expect(first.nextExpectedRevision).toBe(0n);
        await expectConflict(store.append(s, [noteEvent(1)], 'no_stream'), 0n);
      });

      it('an exact revision succeeds only when it matches', async () => {
        const s = uniqueName('message-');
        await store.append(s, [noteEvent(0), noteEvent(1)], 'no_stream');
        const ok = await store.append(s, [noteEvent(2)], 1n);
        expect(ok.nextExpectedRevision).toBe(2n);
        await expectConflict(store.append(s, [noteEvent(3)], 1n), 2n);
        await expectConflict(store.append(s, [noteEvent(3)], 5n), 2n);
        await expectConflict(store.append(uniqueName('message-'), [noteEvent(0)], 0n), 'no_stream');
      });

      it('exists needs the stream to exist', async () => {
        const s = uniqueName('message-');
        await expectConflict(store.append(s, [noteEvent(0)], 'exists'), 'no_stream');
        await store.append(s, [noteEvent(0)], 'any');
        const r = await store.append(s, [noteEvent(1)], 'exists');
        expect(r.nextExpectedRevision).toBe(1n);
      });

      it('any always appends, on a new or an existing stream', async () => {
        const s = uniqueName('message-');
        expect((await store.append(s, [noteEvent(0)], 'any')).nextExpectedRevision).toBe(0n);
        expect((await store.append(s, [noteEvent(1)], 'any')).nextExpectedRevision).toBe(1n);
      });

      it('a conflict writes nothing', async () => {
        const s = uniqueName('message-');
        await store.append(s, [noteEvent(0)], 'no_stream');
        await expectConflict(store.append(s, [noteEvent(1), noteEvent(2)], 7n), 0n);
        expect((await store.readStream(s)).map(noteOf)).toEqual(['n=0']);
      });
    });

    describe('schema validation at append', () => {
      it('refuses an event that fails its schema, naming the type and field, and writes nothing', async () => {
        const s = uniqueName('message-');
        const bad = makeEvent(
          'LeaseAcquired',
          { resource: 'r', holder: 'w1', term: 0, ttlMs: 1000 },
          { actor: 'test' },
        );
        const error = await store.append(s, [noteEvent(0), bad], 'any').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SchemaViolation);
        expect((error as Error).message).toContain('LeaseAcquired');
        expect((error as Error).message).toContain('data.term');
        expect(await store.readStream(s)).toEqual([]);
        expect(await store.streamRevision(s)).toBeUndefined();
      });
    });

    describe('atomic multi-event appends', () => {
      it('gives consecutive revisions and increasing positions', async () => {
        const s = uniqueName('message-');
        const result = await store.append(s, [noteEvent(0), noteEvent(1), noteEvent(2)], 'no_stream');
        const events = await store.readStream(s);
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(events[0]!.position < events[1]!.position && events[1]!.position < events[2]!.position).toBe(true);
        expect(result.position).toBe(events[2]!.position);
        expect(events.every((e) => e.streamId === s)).toBe(true);
      });
    });

    describe('idempotent retry', () => {
      it('the same ids at the same expected revision succeed again without duplicating', async () => {
        const s = uniqueName('message-');
        await store.append(s, [noteEvent(0)], 'no_stream');
        const batch = [noteEvent(1), noteEvent(2)];
        const first = await store.append(s, batch, 0n);
        const again = await store.append(s, batch, 0n);
        expect(again).toEqual(first);
        expect((await store.readStream(s)).map(noteOf)).toEqual(['n=0', 'n=1', 'n=2']);
      });

      it('also for no_stream and any', async () => {
        const s = uniqueName('message-');
        const created = [noteEvent(0)];
        const first = await store.append(s, created, 'no_stream');
        expect(await store.append(s, created, 'no_stream')).toEqual(first);
        const more = [noteEvent(1)];
        const second = await store.append(s, more, 'any');
        expect(await store.append(s, more, 'any')).toEqual(second);
        expect((await store.readStream(s)).length).toBe(2);
      });

      it('different ids at a stale revision still conflict', async () => {
        const s = uniqueName('message-');
        await store.append(s, [noteEvent(0)], 'no_stream');
        await store.append(s, [noteEvent(1)], 0n);
        await expectConflict(store.append(s, [noteEvent(1)], 0n), 1n);
      });
    });

    describe('racing writers', () => {
      it('two clients racing for the same revision: exactly one wins, every round', async () => {
        const s = uniqueName('message-');
        let expected: bigint | 'no_stream' = 'no_stream';
        for (let round = 0; round < 200; round++) {
          const results = await Promise.allSettled([
            store.append(s, [noteEvent(round, 'a')], expected),
            other.append(s, [noteEvent(round, 'b')], expected),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r) => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevision);
          expected = BigInt(round);
        }
        expect(await store.streamRevision(s)).toBe(199n);
      });

      it.skipIf(!harness.location)(
        'two OS processes racing on one store: every revision is won by exactly one, none lost',
        async () => {
          const s = uniqueName('message-');
          const attempts = 300;
          const children = ['p1', 'p2'].map((who) =>
            spawn(process.execPath, ['--import', 'tsx', racer, harness.location!(), s, String(attempts), who], {
              stdio: ['pipe', 'pipe', 'inherit'],
            }),
          );
          const ready: Promise<void>[] = [];
          const outputs = children.map(
            (child) =>
              new Promise<{ name: string; won: string[]; lost: number }>((resolve, reject) => {
                let out = '';
                ready.push(
                  new Promise((isReady) =>
                    child.stdout.on('data', (chunk: Buffer) => {
                      out += chunk.toString();
                      if (out.startsWith('ready\n')) isReady();
                    }),
                  ),
                );
                child.on('exit', (code) =>
                  code === 0
                    ? resolve(JSON.parse(out.slice('ready\n'.length)) as never)
                    : reject(new Error(`racer exited ${code}`)),
                );
              }),
          );
          await Promise.all(ready);
          for (const child of children) child.stdin.end('go\n');
          const results = await Promise.all(outputs);
          const wins = results.flatMap((r) => r.won);
          const lost = results.reduce((n, r) => n + r.lost, 0);
          const events = await store.readStream(s);
          // Every success became exactly one event at its own revision; no revision was won twice.
          expect(new Set(wins).size).toBe(wins.length);
          expect(events.length).toBe(wins.length);
          expect(wins.length + lost).toBe(2 * attempts);
          expect(events.map((e) => e.revision.toString()).sort()).toEqual([...wins].sort());
          // The processes really contended.
          expect(lost).toBeGreaterThan(0);
          for (const r of results) expect(r.won.length).toBeGreaterThan(0);
        },
        60_000,
      );
    });

    describe('reading', () => {
      it('readStream forwards, backwards, from a revision, with a limit; a missing stream is empty', async () => {
        const s = uniqueName('message-');
        await store.append(
          s,
          [0, 1, 2, 3, 4].map((n) => noteEvent(n)),
          'no_stream',
        );
        expect((await store.readStream(s)).map(noteOf)).toEqual(['n=0', 'n=1', 'n=2', 'n=3', 'n=4']);
        expect((await store.readStream(s, { fromRevision: 2n, maxCount: 2 })).map(noteOf)).toEqual(['n=2', 'n=3']);
        expect((await store.readStream(s, { direction: 'backwards', maxCount: 2 })).map(noteOf)).toEqual([
          'n=4',
          'n=3',
        ]);
        expect((await store.readStream(s, { direction: 'backwards', fromRevision: 1n })).map(noteOf)).toEqual([
          'n=1',
          'n=0',
        ]);
        expect(await store.readStream(uniqueName('message-'))).toEqual([]);
        expect(await store.streamRevision(s)).toBe(4n);
      });

      it('readAll returns every stream in global order, after a position, filtered', async () => {
        const prefix = uniqueName('message-');
        const a = `${prefix}-a`;
        const b = `${prefix}-b`;
        const start = await store.headPosition();
        await store.append(a, [noteEvent(0)], 'no_stream');
        await other.append(b, [noteEvent(1)], 'no_stream');
        await store.append(a, [makeEvent('MessageTerminated', { messageId: 'm2' }, { actor: 't' })], 0n);
        await other.append(b, [noteEvent(3)], 0n);
        const all = await collect(store.readAll({ after: start, filter: { streamPrefixes: [prefix] } }));
        expect(all.map((e) => `${e.streamId.slice(-1)}:${e.type}`)).toEqual([
          'a:MessageResumed',
          'b:MessageResumed',
          'a:MessageTerminated',
          'b:MessageResumed',
        ]);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position > all[i - 1]!.position).toBe(true);
        const afterSecond = await collect(
          store.readAll({ after: all[1]!.position, filter: { streamPrefixes: [prefix] } }),
        );
        expect(afterSecond.map((e) => e.id)).toEqual([all[2]!.id, all[3]!.id]);
        const terminated = await collect(
          store.readAll({ after: start, filter: { streamPrefixes: [prefix], eventTypes: ['MessageTerminated'] } }),
        );
        expect(terminated.map((e) => e.streamId)).toEqual([a]);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(all[3]!.position);
      });

      it('readAllPages, where a store has it, returns what readAll does, without hashes, in pages up to a position', async () => {
        if (!store.readAllPages) return;
        const prefix = uniqueName('message-');
        const start = await store.headPosition();
        for (let i = 0; i < 5; i++) await store.append(`${prefix}-${i % 2}`, [noteEvent(i)], 'any');
        await store.append(`${prefix}-0`, [makeEvent('MessageTerminated', { messageId: 'm2' }, { actor: 't' })], 'any');
        const filter = { streamPrefixes: [prefix] };
        const all = await collect(store.readAll({ after: start, filter }));
        const pages: (readonly RecordedEvent[])[] = [];
        for await (const page of store.readAllPages({ after: start, filter, pageSize: 4 })) pages.push(page);
        expect(pages.map((p) => p.length)).toEqual([4, 2]);
        expect(pages.flat()).toEqual(all.map(({ hash: _hash, ...event }) => event));
        const upTo: RecordedEvent[] = [];
        for await (const page of store.readAllPages({ after: all[0]!.position, upTo: all[3]!.position, filter }))
          upTo.push(...page);
        expect(upTo.map((e) => e.id)).toEqual(all.slice(1, 4).map((e) => e.id));
        const typed: RecordedEvent[] = [];
        for await (const page of store.readAllPages({
          after: start,
          filter: { ...filter, eventTypes: ['MessageTerminated'] },
          pageSize: 1,
        }))
          typed.push(...page);
        expect(typed.map((e) => e.type)).toEqual(['MessageTerminated']);
      });

      it('events read back carry their data and metadata unchanged', async () => {
        const s = uniqueName('message-');
        const event = makeEvent(
          'SendFailed',
          {
            messageId: 'm1',
            port: 'out',
            attempt: 2,
            transport: 'primary',
            error: { code: 'MQRC_Q_FULL', message: 'queue full', retryable: true },
            nextRetryAt: '2026-01-01T00:00:00.000Z',
          },
          { actor: 'worker:w1', causationId: 'c1', correlationId: 'k1', fence: { lease: 'port-out', term: 3 } },
        );
        await store.append(s, [event], 'no_stream');
        const [read] = await store.readStream(s);
        expect(read).toMatchObject({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
        expect(read!.recordedAt).toBeInstanceOf(Date);
      });
    });

    describe('subscribeAll', () => {
      it('catches up, goes live with no gap or duplicate, and restarts from a checkpoint', async () => {
        const prefix = uniqueName('message-');
        const start = await store.headPosition();
        for (let i = 0; i < 30; i++) await store.append(`${prefix}-${i % 3}`, [noteEvent(i)], 'any');
        const filter = { streamPrefixes: [prefix] };
        const controller = new AbortController();
        const seen: RecordedEvent[] = [];
        const reading = (async () => {
          for await (const event of store.subscribeAll({ after: start, filter, signal: controller.signal })) {
            seen.push(event);
            if (seen.length === 80) controller.abort();
          }
        })();
        // Live writes from this client and from another one, while the subscriber catches up.
        for (let i = 30; i < 80; i++) await (i % 2 ? other : store).append(`${prefix}-${i % 3}`, [noteEvent(i)], 'any');
        await reading;
        expect(seen.map(noteOf)).toEqual(Array.from({ length: 80 }, (_, i) => `n=${i}`));

        const checkpoint = seen[49]!.position;
        for (let i = 80; i < 90; i++) await other.append(`${prefix}-x`, [noteEvent(i)], 'any');
        const restarted = await collect(store.subscribeAll({ after: checkpoint, filter }), 40);
        expect(restarted.map(noteOf)).toEqual(Array.from({ length: 40 }, (_, i) => `n=${i + 50}`));
      });

      it('delivers an event appended by another client while waiting live', async () => {
        const prefix = uniqueName('message-');
        const after = await store.headPosition();
        const first = collect(store.subscribeAll({ after, filter: { streamPrefixes: [prefix] } }), 1);
        await new Promise((r) => setTimeout(r, 100));
        await other.append(`${prefix}-live`, [noteEvent(7)], 'no_stream');
        const [event] = await first;
        expect(noteOf(event!)).toBe('n=7');
      });
    });

    describe('audit hash chain', () => {
      it("every appended event's hash chains from the previous one in its stream, whoever appended", async () => {
        const s = uniqueName('message-');
        await store.append(s, [noteEvent(0)], 'no_stream');
        await other.append(s, [noteEvent(1), noteEvent(2)], 0n);
        await store.append(s, [noteEvent(3)], 'any');
        await other.append(s, [noteEvent(4)], 'exists');
        const events = await store.readStream(s);
        expect(events.map(noteOf)).toEqual(['n=0', 'n=1', 'n=2', 'n=3', 'n=4']);
        expect(new Set(events.map((e) => e.hash)).size).toBe(5);
        expectChained(events);
        // The metadata read back is the writer's, whatever the store keeps the hash in.
        expect(Object.keys(events[0]!.metadata).sort()).toEqual(['actor', 'occurredAt', 'schemaVersion']);
        const all = await collect(store.readAll({ filter: { streamPrefixes: [s] } }));
        expect(all.map((e) => e.hash)).toEqual(events.map((e) => e.hash));
      });

      it('an idempotent retry keeps the chain as first written', async () => {
        const s = uniqueName('message-');
        const first = [noteEvent(0)];
        await store.append(s, first, 'no_stream');
        await store.append(s, first, 'no_stream');
        const more = [noteEvent(1)];
        await store.append(s, more, 'any');
        await other.append(s, more, 'any');
        const events = await store.readStream(s);
        expect(events).toHaveLength(2);
        expectChained(events);
      });

      it('the chain goes on where retention removed the older events', async () => {
        const s = uniqueName('lease-');
        await store.setStreamMetadata(s, { maxCount: 2 });
        for (let i = 0; i < 5; i++) await store.append(s, [noteEvent(i)], i === 0 ? 'no_stream' : BigInt(i - 1));
        const [kept, last] = await store.readStream(s);
        expect([kept!.revision, last!.revision]).toEqual([3n, 4n]);
        expectChained([last!], kept!.hash);
      });
    });

    describe('stream metadata', () => {
      it('maxCount keeps only the newest events; revisions go on', async () => {
        const s = uniqueName('lease-');
        await store.setStreamMetadata(s, { maxCount: 3 });
        for (let i = 0; i < 10; i++) await store.append(s, [noteEvent(i)], i === 0 ? 'no_stream' : BigInt(i - 1));
        const events = await store.readStream(s);
        expect(events.map((e) => e.revision)).toEqual([7n, 8n, 9n]);
        expect(await store.streamRevision(s)).toBe(9n);
        expect(await store.getStreamMetadata(s)).toMatchObject({ maxCount: 3 });
        await store.append(s, [noteEvent(10)], 9n);
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([8n, 9n, 10n]);
      });

      it('truncateBefore removes older revisions', async () => {
        const s = uniqueName('lease-');
        await store.append(
          s,
          [0, 1, 2, 3, 4, 5].map((n) => noteEvent(n)),
          'no_stream',
        );
        await store.setStreamMetadata(s, { truncateBefore: 4n });
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([4n, 5n]);
        expect(await store.streamRevision(s)).toBe(5n);
        expect((await store.getStreamMetadata(s)).truncateBefore).toBe(4n);
      });
    });
  });
}
