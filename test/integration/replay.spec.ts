import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { replayCopyId, replayMessages } from '../../src/workers/replay.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually, startTestEngine, writtenFiles, type TestEngine } from './support/engine.js';

const root = tempDir('replay');
afterAll(() => root.cleanup());
let engine: TestEngine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

let cases = 0;
function setup() {
  const dir = join(root.path, `case${cases++}`);
  const inbox = join(dir, 'inbox');
  const outbox = join(dir, 'outbox');
  const archive = join(dir, 'archive');
  mkdirSync(inbox, { recursive: true });
  const bindings = {
    receiveLocations: [
      { name: 'inbox', receivePort: 'orders', adapter: 'file', config: { folder: inbox, pollIntervalMs: 50 } },
    ],
    sendPorts: [
      {
        name: 'outbox',
        adapter: 'file',
        config: { folder: outbox, fileName: '%MessageID%.txt', createFolder: true },
        filter: "BTS.ReceivePortName == 'orders'",
      },
      // subscribes to nothing: it receives only what an operator replays to it
      {
        name: 'archive',
        adapter: 'file',
        config: { folder: archive, fileName: '%MessageID%.txt', createFolder: true },
      },
    ],
  };
  return { dir, inbox, outbox, archive, bindings };
}

describe('replay of message history', () => {
  it('re-sends originals to their port or another, links each copy, and sends nothing new for the same replay id', async () => {
    const f = setup();
    engine = await startTestEngine(f.dir, f.bindings);
    for (let i = 0; i < 3; i++) writeFileSync(join(f.inbox, `order-${i}.txt`), `order ${i}`);
    await eventually(() => writtenFiles(f.outbox).length === 3 || undefined);
    const originals = (await engine.messageEvents())
      .filter((e) => e.type === 'MessageReceived')
      .map((e) => e.data.messageId);
    expect(originals).toHaveLength(3);
    const knownPorts = new Set(['outbox', 'archive']);
    const actor = 'user:alice';

    const dry = await replayMessages(engine.store, {
      replayId: 'r1',
      messageIds: originals,
      knownPorts,
      actor,
      dryRun: true,
    });
    expect(dry.map((i) => i.status)).toEqual(['would-replay', 'would-replay', 'would-replay']);
    expect((await engine.messageEvents()).filter((e) => e.type === 'MessageReplayed')).toHaveLength(0);

    const first = await replayMessages(engine.store, { replayId: 'r1', messageIds: originals, knownPorts, actor });
    expect(first.map((i) => `${i.port}:${i.status}`)).toEqual([
      'outbox:replayed',
      'outbox:replayed',
      'outbox:replayed',
    ]);
    await eventually(() => writtenFiles(f.outbox).length === 6 || undefined);
    for (const item of first) {
      expect(readFileSync(join(f.outbox, `${item.copy}.txt`), 'utf8')).toBe(
        readFileSync(join(f.outbox, `${item.original}.txt`), 'utf8'),
      );
    }

    const again = await replayMessages(engine.store, { replayId: 'r1', messageIds: originals, knownPorts, actor });
    expect(again.map((i) => i.status)).toEqual(['already-replayed', 'already-replayed', 'already-replayed']);
    const toArchive = await replayMessages(engine.store, {
      replayId: 'r2',
      messageIds: [originals[0]!],
      toPort: 'archive',
      knownPorts,
      actor,
    });
    expect(toArchive).toEqual([
      {
        original: originals[0],
        port: 'archive',
        copy: replayCopyId('r2', originals[0]!, 'archive'),
        status: 'replayed',
      },
    ]);
    await eventually(() => writtenFiles(f.archive).length === 1 || undefined);
    // give a wrongly repeated replay the time to show up before counting
    await new Promise((r) => setTimeout(r, 500));
    expect(writtenFiles(f.outbox)).toHaveLength(6);

    const events = await engine.messageEvents();
    const replayed = events.filter((e) => e.type === 'MessageReplayed');
    expect(replayed).toHaveLength(4);
    for (const event of replayed) {
      expect(event.metadata.actor).toBe(actor);
      expect(originals).toContain(event.data.originalMessageId);
    }
    const sent = events.filter((e) => e.type === 'MessageSent');
    expect(sent).toHaveLength(3 + 3 + 1);
    expect(new Set(sent.map((e) => `${e.data.messageId}:${e.data.port}`)).size).toBe(7);
  });

  it('refuses an unknown port before writing anything, and reports originals it cannot find', async () => {
    const f = setup();
    engine = await startTestEngine(f.dir, f.bindings);
    const knownPorts = new Set(['outbox']);
    await expect(
      replayMessages(engine.store, {
        replayId: 'x',
        messageIds: ['nope'],
        toPort: 'typo',
        knownPorts,
        actor: 'user:a',
      }),
    ).rejects.toThrow('send port "typo" does not exist');
    const items = await replayMessages(engine.store, {
      replayId: 'x',
      messageIds: ['nope'],
      knownPorts,
      actor: 'user:a',
    });
    expect(items).toEqual([{ original: 'nope', status: 'not-found' }]);
    expect(await engine.messageEvents()).toHaveLength(0);
  });
});
