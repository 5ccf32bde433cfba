import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { compileSubscriptions } from '../../src/domain/routing/route.js';
import { buildViewAsOf } from '../../src/projections/as-of.js';
import { viewChecksum } from '../../src/projections/checksum.js';
import { operatorProjections, operatorViewsFile } from '../../src/projections/operator-views.js';
import { rebuildViews } from '../../src/projections/rebuild.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { openViewDatabase } from '../../src/projections/view-database.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { resumeMessage, terminateMessage } from '../../src/workers/operations.js';
import { replayMessages } from '../../src/workers/replay.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('rebuild');
afterAll(() => root.cleanup());
const running: TestEngine[] = [];
afterEach(async () => {
  for (const engine of running.splice(0)) await engine.stop();
});

let cases = 0;
function setup() {
  const dir = join(root.path, `case${cases++}`);
  const f = {
    dir,
    inbox: join(dir, 'inbox'),
    misc: join(dir, 'misc'),
    outbox: join(dir, 'outbox'),
    // a file where the flaky port's folder should be: its sends fail until it is removed
    flaky: join(dir, 'flaky'),
  };
  mkdirSync(f.inbox, { recursive: true });
  mkdirSync(f.misc, { recursive: true });
  writeFileSync(f.flaky, 'in the way');
  const bindings = {
    receiveLocations: [
      { name: 'inbox', receivePort: 'orders', adapter: 'file', config: { folder: f.inbox, pollIntervalMs: 50 } },
      { name: 'misc', receivePort: 'misc', adapter: 'file', config: { folder: f.misc, pollIntervalMs: 50 } },
    ],
    sendPorts: [
      {
        name: 'outbox',
        adapter: 'file',
        config: { folder: f.outbox, fileName: '%MessageID%.txt', createFolder: true },
        filter: "BTS.ReceivePortName == 'orders'",
      },
      {
        name: 'flaky',
        adapter: 'file',
        config: { folder: join(f.flaky, 'sub'), fileName: '%MessageID%.txt', createFolder: true },
        filter: "BTS.ReceivePortName == 'orders'",
        retry: { count: 1, intervalMs: 50 },
      },
    ],
  };
  return { f, bindings };
}

async function start(dir: string, bindings: unknown, name: string): Promise<TestEngine> {
  const engine = await startTestEngine(dir, bindings, name, { operatorViews: true });
  running.push(engine);
  return engine;
}

async function count(engine: TestEngine, type: string, port?: string): Promise<number> {
  return (await engine.messageEvents()).filter(
    (e) => e.type === type && (port === undefined || (e.data as { port?: string }).port === port),
  ).length;
}

const rebuildChild = fileURLToPath(new URL('./support/rebuild-child.ts', import.meta.url));

/** Rebuilds the operator views `rounds` times in a child process; one result line each. */
function rebuildInChild(
  dir: string,
  rounds: number,
): Promise<{ position: string; compared: number; differing: string[] }[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', rebuildChild, dir, String(rounds)], (error, stdout, stderr) => {
      if (error) reject(new Error(`rebuild failed: ${stderr}`));
      else
        resolve(
          stdout
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { position: string; compared: number; differing: string[] }),
        );
    });
  });
}

describe('rebuild of the operator views', () => {
  it('after retries, suspends, resumes, terminations, a replay and a failover, the rebuilt views equal the live ones', async () => {
    const { f, bindings } = setup();
    const a = await start(f.dir, bindings, 'a');
    for (let i = 0; i < 6; i++) writeFileSync(join(f.inbox, `order-${i}.txt`), `order ${i}`);
    for (let i = 0; i < 3; i++) writeFileSync(join(f.misc, `misc-${i}.txt`), `misc ${i}`);
    await eventually(async () => (await count(a, 'MessageSuspended')) === 6 + 3);
    expect(writtenFiles(f.outbox)).toHaveLength(6);

    // the dispatcher and every lease move to a second instance
    const b = await start(f.dir, bindings, 'b');
    await a.stop();
    running.splice(running.indexOf(a), 1);
    rmSync(f.flaky);
    const received = (await b.messageEvents()).filter((e) => e.type === 'MessageReceived');
    const routing = () => ({
      subscriptions: compileSubscriptions([]),
      enabledPorts: new Set<string>(),
    });
    for (const message of received) {
      const id = message.data.messageId;
      if (message.data.receiveLocation === 'inbox') {
        await resumeMessage(b.store, { messageId: id, port: 'flaky', actor: 'user:ops' }, routing);
      }
    }
    const misc = received.filter((e) => e.data.receiveLocation === 'misc').map((e) => e.data.messageId);
    await terminateMessage(b.store, { messageId: misc[0]!, actor: 'user:ops', note: 'not ours' });
    await replayMessages(b.store, {
      replayId: 'again',
      messageIds: [received.find((e) => e.data.receiveLocation === 'inbox')!.data.messageId],
      toPort: 'outbox',
      knownPorts: new Set(['outbox', 'flaky']),
      actor: 'user:ops',
    });
    for (let i = 6; i < 9; i++) writeFileSync(join(f.inbox, `order-${i}.txt`), `order ${i}`);
    await eventually(
      async () => (await count(b, 'MessageSent', 'flaky')) === 9 && (await count(b, 'MessageSent', 'outbox')) === 10,
    );
    await b.stop();
    running.splice(0);

    const reopened = new SqliteEventStore(join(f.dir, 'signalbox.db'));
    const head = await reopened.headPosition();
    const live = openViewDatabase(operatorViewsFile(f.dir));
    try {
      // both instances fed the one view file; let it reach the head as a query would
      for (const p of operatorProjections) await new ProjectionRunner(reopened, live, p).catchUp({ position: head });
      const history = new Set((await reopened.readStream('lease-dispatcher')).map((e) => e.type));
      expect([...history].some((t) => t === 'LeaseTakenOver' || t === 'LeaseReleased')).toBe(true);
      const before = operatorProjections.map((p) => viewChecksum(live, p).checksum);
      const result = await rebuildViews(reopened, live, operatorProjections);
      expect(result.position).toBe(head);
      for (const [i, view] of result.views.entries()) {
        expect(view.liveChecksum, view.view).toBe(before[i]);
        expect(view.checksum, view.view).toBe(view.liveChecksum);
      }
      // the swapped-in view is the rebuilt one, and a rebuild is not a no-op on a damaged view
      live.exec(
        "UPDATE tracking_messages SET status = 'damaged' WHERE message_id = (SELECT min(message_id) FROM tracking_messages)",
      );
      const damaged = await rebuildViews(reopened, live, operatorProjections);
      const tracking = damaged.views.find((v) => v.view === 'tracking')!;
      expect(tracking.liveChecksum).not.toBe(tracking.checksum);
      expect(
        viewChecksum(
          live,
          operatorProjections.find((p) => p.name === 'tracking')!,
        ).checksum,
      ).toBe(before[operatorProjections.findIndex((p) => p.name === 'tracking')]);
    } finally {
      live.close();
      await reopened.close();
    }
  });

  it('a rebuild while an engine keeps feeding the views loses and repeats nothing', async () => {
    const { f, bindings } = setup();
    rmSync(f.flaky);
    const engine = await start(f.dir, bindings, 'main');
    let dropped = 0;
    const feeder = setInterval(() => writeFileSync(join(f.inbox, `order-${dropped++}.txt`), 'x'), 20);
    try {
      await eventually(async () => (await count(engine, 'MessageSent')) >= 20);
      // In a process of its own, as `signalbox rebuild` runs: a swap under the view file's write
      // lock makes the engine's view runners wait in SQLite's busy handler, which blocks their
      // process's event loop (and would block a rebuild awaiting its threads in that process).
      const rounds = await rebuildInChild(f.dir, 3);
      expect(rounds).toHaveLength(3);
      for (const round of rounds) expect(round.differing).toEqual([]);
    } finally {
      clearInterval(feeder);
    }
    await eventually(async () => (await count(engine, 'MessageSent')) === 2 * dropped);
    const store = new SqliteEventStore(join(f.dir, 'signalbox.db'));
    await engine.stop();
    running.splice(0);
    const head = await store.headPosition();
    const fromScratch = await buildViewAsOf(store, operatorProjections, new Date(Date.now() + 60_000));
    expect(fromScratch.position).toBe(head);
    const live = openViewDatabase(operatorViewsFile(f.dir));
    try {
      // what the engine had not applied yet when it stopped; anything lost in a swap stays lost
      for (const p of operatorProjections) await new ProjectionRunner(store, live, p).catchUp({ position: head });
      for (const p of operatorProjections) {
        expect(viewChecksum(live, p).checksum, p.name).toBe(viewChecksum(fromScratch.db, p).checksum);
      }
    } finally {
      live.close();
      fromScratch.db.close();
      await store.close();
    }
  });
});
