import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundMessage, SendHandler } from '../../src/adapters/adapter.js';
import { TransientAdapterError } from '../../src/adapters/errors.js';
import { defaultRegistry } from '../../src/adapters/index.js';
import type { SecretResolver } from '../../src/adapters/secrets.js';
import { sourceKeyOf } from '../../src/adapters/remote-file/journal.js';
import type { RemoteFileOperations, RemoteStat } from '../../src/adapters/remote-file/operations.js';
import { workPath } from '../../src/adapters/remote-file/paths.js';
import { streams } from '../../src/domain/streams.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { makeEvent } from '../../src/store/make-event.js';
import { messageIdFromSource } from '../../src/store/message-id.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import { readBody } from '../../src/workers/message-body.js';
import { createSubmit } from '../../src/workers/receiver/submit.js';
import { eventually } from '../integration/support/engine.js';
import { startRemoteFileEngine, type RemoteFileEngine } from './remote-file-engine.js';
import { tempDir } from './temp-dir.js';

/** A running server and how to reach one of its folders both over the protocol and on disk. */
export interface RemoteServer {
  readonly adapter: 'ftp' | 'sftp';
  readonly secrets: SecretResolver;
  /** host, port, credentials (and TLS or host key) settings. */
  readonly connection: Record<string, unknown>;
  /** Makes a fresh folder; `remote` is its path in adapter settings, `local` the same folder on disk. */
  folder(name: string): { remote: string; local: string };
  /** The on-disk folder that `remote` is (for archive folders the adapter creates itself). */
  localOf(remote: string): string;
  /** Size and mtime as the protocol gives them (at the server's time precision, not the disk's). */
  stat(remotePath: string): Promise<{ size: number; mtimeMs: number }>;
  stop(): Promise<void>;
}

/** `RemoteServer.stat` for a protocol: one fresh connection per call, failing when nothing is there. */
export async function statOver(connect: () => Promise<RemoteFileOperations>, path: string): Promise<RemoteStat> {
  const ops = await connect();
  try {
    const stat = await ops.stat(path);
    if (!stat) throw new Error(`${path} is not on the server`);
    return stat;
  } finally {
    await ops.close();
  }
}

/** Names a receiver must take as they are, and a send must never let out of its folder. */
export const AWKWARD_NAMES = [
  'order 17 with  spaces.xml',
  'ünïcødé-データ-заказ.xml',
  // A leading dot makes a hidden file, which a `*` mask leaves alone (as a shell does); `..` inside a name is fine.
  'dots..in..the..middle.xml',
  'a..b...c.xml',
  'shell $(touch PWNED) `id` ; rm -rf x & | > \'q\' "dq".xml',
  '-dash-first.xml',
];

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function outbound(body: Buffer, messageId: string, context: OutboundMessage['context']): OutboundMessage {
  return {
    messageId,
    port: 'out',
    attempt: 1,
    context,
    openBody: async () => Readable.from([body]),
    readBody: async () => body,
  };
}

/** The receive and send behaviour the issue asks of FTP, FTPS and SFTP, against a real server. */
export function remoteFileScenarios(label: string, start: () => Promise<RemoteServer>): void {
  describe(`${label}: receive and send through the engine`, () => {
    let server: RemoteServer;
    const dir = tempDir(`${label.replace(/\W+/g, '-')}-engine`);
    const engines: RemoteFileEngine[] = [];
    const senders: SendHandler[] = [];
    let folders = 0;

    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await Promise.all(senders.map((s) => s.close()));
      for (const engine of engines) await engine.stop();
      await server?.stop();
      dir.cleanup();
    });

    let engineDirs = 0;
    const engine = async (
      locations: { name: string; config: Record<string, unknown> }[],
      data = join(dir.path, `engine-${++engineDirs}`),
    ) => {
      const started = await startRemoteFileEngine(
        data,
        {
          receiveLocations: locations.map((l) => ({
            name: l.name,
            receivePort: 'in',
            adapter: server.adapter,
            config: { ...server.connection, pollIntervalMs: 200, ...l.config },
          })),
          sendPorts: [],
        },
        server.secrets,
      );
      engines.push(started);
      return started;
    };
    const received = async (e: RemoteFileEngine, location: string) =>
      (await e.events('message-')).filter(
        (ev): ev is Extract<RecordedEvent, { type: 'MessageReceived' }> =>
          ev.type === 'MessageReceived' && ev.data.receiveLocation === location,
      );
    const sender = (config: Record<string, unknown>) => {
      const registry = defaultRegistry();
      const handler = registry
        .get(server.adapter)
        .send!.create(registry.sendConfig(server.adapter, { ...server.connection, ...config }, 'config'), {
          name: 'out',
          secrets: server.secrets,
        });
      senders.push(handler);
      return handler;
    };

    it('receives each file once (awkward names included), claims and completes it on the location stream, and deletes it', async () => {
      const { remote, local } = server.folder(`recv-${++folders}`);
      const bodies = new Map<string, Buffer>();
      for (const [i, name] of [...AWKWARD_NAMES, ...Array.from({ length: 20 }, (_, i) => `plain-${i}.txt`)].entries()) {
        const body = Buffer.from(`${name}\n${'x'.repeat(i * 500)}`);
        bodies.set(name, body);
        writeFileSync(join(local, name), body);
      }
      const e = await engine([{ name: 'awkward', config: { folder: remote } }]);
      const got = await eventually(async () => {
        const r = await received(e, 'awkward');
        return r.length >= bodies.size && readdirSync(local).length === 0 ? r : undefined;
      }, 60_000);
      await sleep(1_000);
      const final = await received(e, 'awkward');
      expect(final).toHaveLength(bodies.size);
      const names = final.map((r) =>
        String(r.data.context.promoted[`${server.adapter.toUpperCase()}.ReceivedFileName`]),
      );
      expect(new Set(names)).toEqual(new Set(bodies.keys()));
      for (const r of got) {
        const name = String(r.data.context.promoted[`${server.adapter.toUpperCase()}.ReceivedFileName`]);
        expect(sha(await readBody(r.data.body, e.blobs)), name).toBe(sha(bodies.get(name)!));
      }
      const log = await e.events(streams.location('awkward'));
      const claims = log.filter((ev) => ev.type === 'FileClaimed');
      const completions = log.filter((ev) => ev.type === 'FileCompleted');
      expect(claims).toHaveLength(bodies.size);
      expect(completions.map((c) => c.type === 'FileCompleted' && c.data.action)).toEqual(
        Array.from({ length: bodies.size }, () => 'deleted'),
      );
      expect(readdirSync(local)).toEqual([]);
      // The shell characters were never run by anyone.
      expect(existsSync(join(local, 'PWNED'))).toBe(false);
    });

    it('does not take a file while its writer is still appending; a ready suffix is taken at once and nothing else', async () => {
      const growing = server.folder(`growing-${++folders}`);
      const suffixed = server.folder(`suffixed-${++folders}`);
      writeFileSync(join(suffixed.local, 'not-yet.xml'), 'written, not marked ready');
      writeFileSync(join(suffixed.local, 'done.xml.ready'), 'marked ready');
      const e = await engine([
        { name: 'growing', config: { folder: growing.remote, pollIntervalMs: 400 } },
        { name: 'suffixed', config: { folder: suffixed.remote, readySuffix: '.ready' } },
      ]);
      const path = join(growing.local, 'half.xml');
      const parts: Buffer[] = [];
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        const part = Buffer.from(`<part at="${Date.now()}"/>\n`);
        parts.push(part);
        appendFileSync(path, part);
        await sleep(100);
        expect(await received(e, 'growing'), 'a file still being written was taken').toHaveLength(0);
      }
      const whole = Buffer.concat(parts);
      const r = await eventually(async () => {
        const got = await received(e, 'growing');
        return got.length > 0 ? got : undefined;
      }, 30_000);
      await sleep(1_000);
      expect(await received(e, 'growing')).toHaveLength(1);
      expect(sha(await readBody(r[0]!.data.body, e.blobs))).toBe(sha(whole));

      const ready = await received(e, 'suffixed');
      expect(ready.map((m) => m.data.context.promoted[`${server.adapter.toUpperCase()}.ReceivedFileName`])).toEqual([
        'done.xml.ready',
      ]);
      expect(readdirSync(suffixed.local)).toEqual(['not-yet.xml']);
    });

    it('moves received files to the archive folder; a name already there gets a suffix', async () => {
      const { remote, local } = server.folder(`archive-src-${++folders}`);
      const archiveRemote = `${remote}-archive`;
      writeFileSync(join(local, 'same.xml'), 'new one');
      const e = await engine([
        { name: 'archiving', config: { folder: remote, afterReceive: 'move', archiveFolder: archiveRemote } },
      ]);
      await eventually(async () => (await received(e, 'archiving')).length === 1 && readdirSync(local).length === 0);
      const archive = server.localOf(archiveRemote);
      await eventually(() => existsSync(join(archive, 'same.xml')));
      // A second file of the same name: the archive keeps both.
      writeFileSync(join(local, 'same.xml'), 'second one, longer');
      await eventually(async () => (await received(e, 'archiving')).length === 2 && readdirSync(archive).length === 2);
      const kept = readdirSync(archive).map((n) => readFileSync(join(archive, n), 'utf8'));
      expect(kept.sort()).toEqual(['new one', 'second one, longer']);
      const completions = await eventually(async () => {
        const log = await e.events(streams.location('archiving'));
        const done = log.filter((ev) => ev.type === 'FileCompleted');
        return done.length === 2 ? done : undefined;
      });
      expect(completions.map((c) => c.type === 'FileCompleted' && c.data.action)).toEqual(['moved', 'moved']);
    });

    it('finishes the claims a crashed holder left: a work file, one already stored, a file never renamed, a file already gone', async () => {
      const { remote, local } = server.folder(`crashed-${++folders}`);
      const location = 'recovering';
      // The store the crashed holder wrote to, opened alone before the next engine starts on it.
      const data = join(dir.path, `engine-${++engineDirs}`);
      mkdirSync(data, { recursive: true });
      const crashed = new SqliteEventStore(join(data, 'signalbox.db'));
      // What a holder killed at four different moments leaves behind: a file renamed to its work
      // name (killed mid-download), one renamed and stored (killed before its delete), a file
      // claimed but not yet renamed, and a claim whose file is gone.
      writeFileSync(join(local, 'renamed.xml'), 'was being downloaded');
      writeFileSync(join(local, 'stored.xml'), 'stored, not yet deleted');
      writeFileSync(join(local, 'claimed.xml'), 'claimed, not yet renamed');
      const claimed: { path: string; size: number; mtime: string; messageId: string }[] = [];
      for (const name of ['renamed.xml', 'stored.xml', 'claimed.xml']) {
        const path = `${remote}/${name}`;
        const { mtimeMs, size } = await server.stat(path);
        const mtime = new Date(mtimeMs).toISOString();
        claimed.push({
          path,
          size,
          mtime,
          messageId: messageIdFromSource(location, sourceKeyOf({ path, size, mtime })),
        });
      }
      claimed.push({ path: `${remote}/gone.xml`, size: 3, mtime: new Date().toISOString(), messageId: 'f'.repeat(32) });
      for (const [i, name] of ['renamed.xml', 'stored.xml'].entries()) {
        const work = workPath(claimed[i]!.path, claimed[i]!.messageId);
        renameSync(join(local, name), join(local, work.split('/').pop()!));
      }
      await crashed.append(
        streams.location(location),
        claimed.map((c) => makeEvent('FileClaimed', { location, ...c }, { actor: 'worker:crashed' })),
        'any',
      );
      // stored.xml was received before its holder died: the next one only deletes it.
      const stored = claimed[1]!;
      const submit = createSubmit({
        store: crashed,
        blobs: await LocalBlobStore.open(join(data, 'blobs')),
        location: { name: location, receivePort: 'in', adapter: server.adapter },
        routing: () => ({ subscriptions: [], enabledPorts: new Set() }),
        actor: 'worker:crashed',
      });
      const sourceKey = sourceKeyOf(stored);
      expect(await submit({ sourceKey, body: Buffer.from('stored, not yet deleted') })).toMatchObject({
        messageId: stored.messageId,
      });
      await crashed.close();

      const e2 = await engine([{ name: location, config: { folder: remote } }], data);
      await eventually(async () => {
        const log = await e2.events(streams.location(location));
        const done = log.filter((ev) => ev.type === 'FileCompleted').length === 4;
        return done && (await received(e2, location)).length === 3 && readdirSync(local).length === 0;
      }, 30_000);
      const got = await received(e2, location);
      expect(got.map((m) => m.data.messageId).sort()).toEqual(
        claimed
          .slice(0, 3)
          .map((c) => c.messageId)
          .sort(),
      );
      const log = await e2.events(streams.location(location));
      const completed = log.filter((ev) => ev.type === 'FileCompleted');
      expect(
        Object.fromEntries(
          completed.map((c) => [
            c.type === 'FileCompleted' && c.data.path.split('/').pop(),
            c.type === 'FileCompleted' && c.data.action,
          ]),
        ),
      ).toEqual({ 'renamed.xml': 'deleted', 'stored.xml': 'deleted', 'claimed.xml': 'deleted', 'gone.xml': 'left' });
      expect(countBy(got, (m) => m.data.messageId).size).toBe(3);
    });

    it('sends under a temporary name then renames; macros never leave the folder; fail, overwrite and append', async () => {
      const { remote, local } = server.folder(`send-${++folders}`);
      const nested = `${remote}/made/by/send`;
      const prop = `${server.adapter.toUpperCase()}.ReceivedFileName`;
      const context = (name: string) => ({ promoted: { [prop]: name }, written: {} });
      const byName = sender({ folder: nested, fileName: '%SourceFileName%', createFolder: true });
      const signal = new AbortController().signal;
      for (const [i, name] of ['../../escape.xml', '..', 'a/../../b.xml', ...AWKWARD_NAMES].entries()) {
        await byName.send(outbound(Buffer.from(`body ${i}`), `m-${i}`, context(name)), signal);
      }
      const written = readdirSync(server.localOf(nested));
      expect(written).toHaveLength(3 + AWKWARD_NAMES.length);
      expect(written.every((n) => !n.includes('/') && !n.startsWith('.') && !n.includes('..'))).toBe(true);
      // Nothing was written beside or above the target folder.
      expect(readdirSync(local)).toEqual(['made']);
      expect(readdirSync(join(local, 'made'))).toEqual(['by']);

      const failing = sender({ folder: remote, fileName: 'fixed.txt', ifExists: 'fail' });
      await failing.send(outbound(Buffer.from('first'), 'f1', context('x')), signal);
      const again = await failing
        .send(outbound(Buffer.from('second'), 'f2', context('x')), signal)
        .catch((e: unknown) => e);
      expect(again).toBeInstanceOf(TransientAdapterError);
      expect(readFileSync(join(local, 'fixed.txt'), 'utf8')).toBe('first');
      const overwriting = sender({ folder: remote, fileName: 'fixed.txt', ifExists: 'overwrite' });
      await overwriting.send(outbound(Buffer.from('replaced'), 'o1', context('x')), signal);
      expect(readFileSync(join(local, 'fixed.txt'), 'utf8')).toBe('replaced');
      const appending = sender({ folder: remote, fileName: 'fixed.txt', ifExists: 'append' });
      await appending.send(outbound(Buffer.from('+more'), 'a1', context('x')), signal);
      expect(readFileSync(join(local, 'fixed.txt'), 'utf8')).toBe('replaced+more');
      // No temporary file is left behind.
      expect(readdirSync(local).filter((n) => n.endsWith('.sbtmp'))).toEqual([]);
    });
  });
}
