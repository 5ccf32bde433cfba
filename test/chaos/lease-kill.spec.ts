import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { DEFAULT_TTL_MS } from '../../src/workers/lease/options.js';
import { tempDir } from '../support/temp-dir.js';
import { History } from './support/history.js';
import { dumpOnFailure, LeaseProcess, type Fact } from './support/lease-process.js';

const dir = tempDir('lease-kill');
const live = new Set<LeaseProcess>();
afterAll(async () => {
  for (const p of live) p.kill('SIGKILL');
  dir.cleanup();
});

const ROUNDS = 15;
// The engine's default ttl: what runs in production, and robust when the test machine is busy.
const TTL_MS = DEFAULT_TTL_MS;
const resource = 'location-chaos';
const leaseStream = `lease-${resource}`;
const location = 'location-chaos';

const isAcquisition = (e: RecordedEvent) => e.type === 'LeaseAcquired' || e.type === 'LeaseTakenOver';
const termOf = (e: RecordedEvent) => (e.data as { term: number }).term;
const holderOf = (e: RecordedEvent) => (e.data as { holder: string }).holder;

/** The first accepted write, in a term above `term`, by any of the running processes. */
function nextHolderWrite(
  processes: Iterable<LeaseProcess>,
  term: number,
): Promise<{ process: LeaseProcess; fact: Fact }> {
  return Promise.race(
    [...processes].map((process) =>
      process
        .waitFor((f) => f.ev === 'write' && f.outcome === 'accepted' && (f.term as number) > term, 15_000)
        .then((fact) => ({ process, fact })),
    ),
  );
}

describe('leases under kill -9 (three processes, one SQLite file)', () => {
  it(`the holder is SIGKILLed ${ROUNDS} times: one writer at a time, no write of a deposed holder accepted`, async () => {
    const file = join(dir.path, 'events.db');
    const store = new SqliteEventStore(file);
    const history = new History(store, [leaseStream, location, 'host-chaos']);
    const all: LeaseProcess[] = [];
    dumpOnFailure(() => all);
    let started = 0;
    const start = () => {
      const p = new LeaseProcess(`p${++started}`, { store: file, resource, location, ttlMs: TTL_MS, writeEveryMs: 50 });
      all.push(p);
      live.add(p);
    };
    for (let i = 0; i < 3; i++) start();

    const kills: { name: string; holder: string; term: number; at: number }[] = [];
    let term = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const { process: holder, fact } = await nextHolderWrite(live, term);
      term = fact.term as number;
      if (round === ROUNDS) break;
      // Kill at a random point of the renewal cycle.
      await new Promise((r) => setTimeout(r, 100 + Math.random() * (TTL_MS / 3)));
      expect(holder.holdingTerm()).toBe(term);
      holder.kill('SIGKILL');
      live.delete(holder);
      kills.push({ name: holder.name, holder: holder.holder!, term, at: holder.killedAt! });
      await holder.exited;
      start();
    }
    const survivors = [...live];
    expect(await Promise.all(survivors.map((p) => p.stop()))).toEqual(survivors.map(() => 0));
    live.clear();
    await history.stop();
    const fenced = await store.readStream(location);
    await store.close();

    // The lease: one acquisition per term, terms 1, 2, 3 … with no gap; a takeover only after its
    // previous holder was killed (no false failover), and always by a process that was alive.
    const acquisitions = history.of(leaseStream).filter(isAcquisition);
    expect(acquisitions.map(termOf)).toEqual(Array.from({ length: ROUNDS + 1 }, (_, i) => i + 1));
    for (const [i, kill] of kills.entries()) {
      const takeover = acquisitions[i + 1]!;
      expect(takeover.type).toBe('LeaseTakenOver');
      expect(takeover.data).toMatchObject({ previousHolder: kill.holder, reason: 'expired', term: kill.term + 1 });
      expect(takeover.recordedAt.getTime()).toBeGreaterThanOrEqual(kill.at);
      expect(kills.some((k) => k.holder === holderOf(takeover) && k.at < takeover.recordedAt.getTime())).toBe(false);
    }
    const holderOfTerm = new Map(acquisitions.map((e) => [termOf(e), holderOf(e)]));

    // The fenced stream: each term's writes form one block that starts with its FenceRaised, in
    // increasing term order, every event written by that term's holder.
    const blocks: { term: number; events: RecordedEvent[] }[] = [];
    for (const event of fenced) {
      const t = event.metadata.fence?.term;
      expect(t).toBeDefined();
      if (blocks[blocks.length - 1]?.term !== t) blocks.push({ term: t!, events: [] });
      blocks[blocks.length - 1]!.events.push(event);
    }
    expect(blocks.map((b) => b.term)).toEqual([...acquisitions.map(termOf)]);
    for (const block of blocks) {
      expect(block.events[0]!.type).toBe('FenceRaised');
      expect(block.events.every((e) => e.metadata.actor === holderOfTerm.get(block.term))).toBe(true);
      expect(block.events.length).toBeGreaterThan(1);
    }

    // No write of a deposed holder: every accepted write of term t precedes the acquisition of t + 1.
    const acquiredAt = new Map(acquisitions.map((e) => [termOf(e), e.position]));
    for (const event of fenced) {
      const next = acquiredAt.get(event.metadata.fence!.term + 1);
      if (next !== undefined) expect(event.position).toBeLessThan(next);
    }

    // What the processes believed agrees with the store: every write a process saw accepted is
    // there under its term, nothing it saw refused is, and each term's holder started holding
    // only after the previous holder was killed: never two believers at once.
    const byId = new Map(fenced.map((e) => [e.id, e]));
    const writes = all.flatMap((p) => p.facts.filter((f) => f.ev === 'write'));
    expect(writes.filter((w) => w.outcome === 'accepted').length).toBeGreaterThan(ROUNDS * 3);
    for (const w of writes) {
      if (w.outcome === 'accepted') expect(byId.get(w.id as string)?.metadata.fence?.term).toBe(w.term);
      else expect(byId.has(w.id as string)).toBe(false);
    }
    for (const [i, kill] of kills.entries()) {
      const next = all.find((p) => p.holder === holderOfTerm.get(kill.term + 1))!;
      const holding = next.facts.find((f) => f.ev === 'state' && f.kind === 'holding' && f.term === kill.term + 1)!;
      expect(holding.at, `round ${i}`).toBeGreaterThanOrEqual(kill.at);
    }

    // Host instances: every process recorded its start; only those stopped cleanly their stop.
    const hostEvents = history.of('host-chaos');
    expect(hostEvents.filter((e) => e.type === 'HostInstanceStarted')).toHaveLength(all.length);
    const stopped = hostEvents
      .filter((e) => e.type === 'HostInstanceStopped')
      .map((e) => (e.data as { instance: string }).instance);
    expect(stopped.sort()).toEqual(survivors.map((p) => p.holder!).sort());
  }, 120_000);
});
