import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { unfinishedClaims } from '../../src/domain/location/unfinished-claims.js';
import { streams } from '../../src/domain/streams.js';
import { LocalBlobStore } from '../../src/store/blob/local-blob-store.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { readBody } from '../../src/workers/message-body.js';
import { giveToFtpUser, startPureFtpd, type PureFtpdServer } from '../support/pure-ftpd.js';
import { startSshd, type SshdServer } from '../support/sshd.js';
import { tempDir } from '../support/temp-dir.js';

/** The count per server; `SIGNALBOX_CHAOS_FILES` sets another. */
const COUNT = Number(process.env.SIGNALBOX_CHAOS_FILES ?? 500);
const KILL_EVERY_MS = 2_500;
/** Every so many files is large, so that kills land while a download is under way. */
const LARGE_EVERY = 25;
const LARGE_BYTES = 6 * 1024 * 1024;
const DEADLINE_MS = 12 * 60_000;
const LOCATIONS = ['ftp-in', 'sftp-in'] as const;
type Location = (typeof LOCATIONS)[number];

const child = fileURLToPath(new URL('./remote-file-child.ts', import.meta.url));
const dir = tempDir('remote-file-kill');
const progress = (line: string) => process.stderr.write(`[remote-file-kill] ${line}\n`);

/** One engine process; `instance` is the holder id its leases carry. */
class Worker {
  readonly ready: Promise<string>;
  private readonly process: ChildProcess;
  private readonly exit: Promise<void>;
  instance = '';

  constructor(
    readonly name: string,
    data: string,
    bindings: string,
    secrets: Record<string, string>,
  ) {
    this.process = spawn(process.execPath, ['--import', 'tsx', child, data, bindings, name], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIGNALBOX_TEST_SECRETS: JSON.stringify(secrets), SIGNALBOX_TEST_LEASE_TTL_MS: '1000' },
    });
    let err = '';
    this.process.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
    this.exit = new Promise((resolve) => this.process.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      let out = '';
      this.process.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((this.instance = (JSON.parse(line) as { instance: string }).instance));
      });
      void this.exit.then(() => reject(new Error(`worker ${name} exited before it was ready:\n${err}`)));
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  async kill9(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exit;
  }
}

let ftpd: PureFtpdServer | undefined;
let sshd: SshdServer | undefined;
const workers = new Map<string, Worker>();
afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.kill9()));
  await ftpd?.stop();
  await sshd?.stop();
  dir.cleanup();
});

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('FTP and SFTP receive under kill -9 (two, then three worker processes, one SQLite store)', () => {
  it(
    `${COUNT} files on each server: the lease holder SIGKILLed every ${KILL_EVERY_MS / 1000} s, mid-download too; each file received once and deleted, each takeover recorded`,
    async () => {
      ftpd = await startPureFtpd({ label: 'chaos-ftpd' });
      sshd = await startSshd('chaos-sshd');
      const ftpFolder = join(ftpd.home, 'chaos-in');
      mkdirSync(ftpFolder);
      giveToFtpUser(ftpFolder);
      const sftpFolder = join(sshd.root, 'chaos-in');
      mkdirSync(sftpFolder);
      const local: Record<Location, string> = { 'ftp-in': ftpFolder, 'sftp-in': sftpFolder };

      const common = { pollIntervalMs: 300, maxFilesPerPoll: 50 };
      const bindings = {
        receiveLocations: [
          {
            name: 'ftp-in',
            receivePort: 'files',
            adapter: 'ftp',
            config: {
              host: '127.0.0.1',
              port: ftpd.port,
              username: ftpd.user,
              password: { secret: 'ftp-password' },
              folder: '/chaos-in',
              ...common,
            },
          },
          {
            name: 'sftp-in',
            receivePort: 'files',
            adapter: 'sftp',
            config: {
              host: '127.0.0.1',
              port: sshd.port,
              username: sshd.user,
              privateKey: { secret: 'sftp-key' },
              hostKeySha256: sshd.hostKeySha256,
              folder: 'chaos-in',
              ...common,
            },
          },
        ],
        sendPorts: [],
      };
      const secrets = { 'ftp-password': ftpd.password, 'sftp-key': sshd.privateKey };
      const data = join(dir.path, 'data');
      mkdirSync(data);
      const bindingsFile = JSON.stringify(bindings);
      // Opened before the workers, so the schema exists before several processes race to create it.
      const store = new SqliteEventStore(join(data, 'signalbox.db'));
      const blobs = await LocalBlobStore.open(join(data, 'blobs'));

      // name → sha256 of its body, per location.
      const expected: Record<Location, Map<string, string>> = { 'ftp-in': new Map(), 'sftp-in': new Map() };
      const put = (from: number, to: number) => {
        for (const location of LOCATIONS) {
          for (let i = from; i < to; i++) {
            const name = `file ${String(i).padStart(4, '0')} ü.dat`;
            const size = i % LARGE_EVERY === 0 ? LARGE_BYTES : 1 + ((i * 7919) % 16_000);
            const body = randomBytes(size);
            expected[location].set(name, sha(body));
            // Written aside and renamed in, as a producer that writes whole files does.
            const aside = join(local[location], `.part-${i}`);
            writeFileSync(aside, body);
            renameSync(aside, join(local[location], name));
          }
        }
      };

      const start = (name: string) => {
        const worker = new Worker(name, data, bindingsFile, secrets);
        workers.set(name, worker);
        return worker;
      };
      const receivedOf = async () => {
        const out: RecordedEvent[] = [];
        for await (const e of store.readAll({
          filter: { streamPrefixes: ['message-'], eventTypes: ['MessageReceived'] },
        })) {
          out.push(e);
        }
        return out;
      };
      const countFor = (events: RecordedEvent[], location: Location) =>
        events.filter((e) => e.type === 'MessageReceived' && e.data.receiveLocation === location).length;
      const holderOf = async (location: Location) => {
        const events = await store.readStream(streams.lease(`location-${location}`));
        const last = events.at(-1);
        return last && 'holder' in last.data ? { holder: String(last.data.holder), term: last.data.term } : undefined;
      };
      const openClaim = async (location: Location) => {
        const events = await store.readStream(streams.location(location));
        return events.at(-1)?.type === 'FileClaimed';
      };
      const largeClaimOpen = async (location: Location) => {
        const last = (await store.readStream(streams.location(location))).at(-1);
        return last?.type === 'FileClaimed' && last.data.size >= LARGE_BYTES;
      };

      const half = Math.floor(COUNT / 2);
      put(0, half);
      for (const name of ['w1', 'w2']) start(name);
      await Promise.all([...workers.values()].map((w) => w.ready));
      progress(`two workers up; ${half} files on each server`);

      const kills: {
        location: Location;
        worker: string;
        instance: string;
        term: number;
        midFile: boolean;
        at: number;
      }[] = [];
      const begun = Date.now();
      let phase = 2;
      let round = 0;
      let last = '';
      const receivedAtKill: Record<Location, number> = { 'ftp-in': -1, 'sftp-in': -1 };
      for (;;) {
        const received = await receivedOf();
        const counts = LOCATIONS.map((l) => countFor(received, l));
        if (counts.every((c) => c >= COUNT)) break;
        if (Date.now() - begun > DEADLINE_MS) throw new Error(`not all received in time: ${counts.join(', ')}`);
        if (phase === 2 && counts.every((c) => c >= half)) {
          phase = 3;
          await start('w3').ready;
          put(half, COUNT);
          progress(`third worker up at ${Date.now() - begun} ms; ${COUNT - half} more files on each server`);
        }
        const line = `${Date.now() - begun} ms: received ${counts.join(' / ')} of ${COUNT}; ${kills.length} kills`;
        if (line.slice(0, 3) !== last.slice(0, 3)) progress(line);
        last = line;

        // Within each period, the kill waits for the location to be in the middle of a large file
        // (claimed, not yet completed), so that kills land mid-download; else it comes at the end.
        const until = Date.now() + KILL_EVERY_MS;
        const location = LOCATIONS[round++ % LOCATIONS.length]!;
        // A holder is killed only after the location received something since its last kill: on
        // a slow machine a new holder's start-up alone can take a kill period, and a test that
        // kills every holder before its first file proves nothing and never ends.
        const now = counts[LOCATIONS.indexOf(location)]!;
        if (now === receivedAtKill[location]) {
          await sleep(KILL_EVERY_MS / LOCATIONS.length);
          continue;
        }
        while (Date.now() < until && !(await largeClaimOpen(location))) await sleep(25);
        const midFile = await openClaim(location);
        const held = await holderOf(location);
        const victim = [...workers.values()].find((w) => w.instance !== '' && w.instance === held?.holder);
        if (!victim || !held) continue;
        await victim.kill9();
        receivedAtKill[location] = now;
        kills.push({
          location,
          worker: victim.name,
          instance: victim.instance,
          term: held.term,
          midFile,
          at: Date.now() - begun,
        });
        await start(victim.name).ready;
      }
      progress(`all received after ${Date.now() - begun} ms and ${kills.length} kills`);
      // Each kill must be followed by a takeover in the failover history (`leaselog-…`). A change
      // of hands is copied there after the lease's own append, so one whose new holder was killed
      // before copying it is missing, as the lease stream's design notes say: the log then shows
      // the gap, a later change two or more terms on, and no change at the term after the kill.
      const takenOver = async (kill: (typeof kills)[number]) => {
        const log = await store.readStream(streams.leaselog(`location-${kill.location}`));
        const terms = log.flatMap((e) => (e.type === 'LeaseTakenOver' ? [e.data.term] : []));
        return (
          log.some((e) => e.type === 'LeaseTakenOver' && e.data.previousHolder === kill.instance) ||
          (!terms.includes(kill.term + 1) && terms.some((t) => t > kill.term + 1))
        );
      };
      // The last kill can land after a location's last file; its takeover then comes only when a
      // restarted worker is up, which on a slow machine takes longer than the lease's TTL.
      const settleBy = Date.now() + 60_000;
      for (const kill of kills) {
        while (!(await takenOver(kill)) && Date.now() < settleBy) await sleep(100);
      }
      await sleep(2_000);
      await Promise.all([...workers.values()].map((w) => w.kill9()));

      const received = await receivedOf();
      for (const location of LOCATIONS) {
        const prop = location === 'ftp-in' ? 'FTP.ReceivedFileName' : 'SFTP.ReceivedFileName';
        const mine = received.filter((e) => e.type === 'MessageReceived' && e.data.receiveLocation === location);
        const perName = new Map<string, number>();
        for (const e of mine) {
          if (e.type !== 'MessageReceived') continue;
          const name = String(e.data.context.promoted[prop]);
          perName.set(name, (perName.get(name) ?? 0) + 1);
          expect(sha(await readBody(e.data.body, blobs, LARGE_BYTES * 2)), `${location} ${name}`).toBe(
            expected[location].get(name),
          );
        }
        const twice = [...perName].filter(([, n]) => n !== 1);
        expect(twice, `${location}: files received more than once`).toEqual([]);
        expect(new Set(perName.keys())).toEqual(new Set(expected[location].keys()));
        // Nothing left on the server: no file, no work file.
        expect(readdirSync(local[location]), `${location}: left on the server`).toEqual([]);

        const log = await store.readStream(streams.location(location));
        expect(unfinishedClaims(log), `${location}: claims never completed`).toEqual([]);
        const deletions = new Map<string, number>();
        for (const e of log) {
          if (e.type === 'FileCompleted' && e.data.action === 'deleted') {
            deletions.set(e.data.path, (deletions.get(e.data.path) ?? 0) + 1);
          }
        }
        expect(
          [...deletions].filter(([, n]) => n > 1),
          `${location}: deleted twice`,
        ).toEqual([]);

        const takeovers = (await store.readStream(streams.leaselog(`location-${location}`))).filter(
          (e) => e.type === 'LeaseTakenOver',
        );
        const killed = kills.filter((k) => k.location === location);
        for (const kill of killed) {
          expect(
            await takenOver(kill),
            `${location}: no takeover from killed ${kill.instance} (term ${kill.term})`,
          ).toBe(true);
        }
        progress(
          `${location}: ${mine.length} received, ${perName.size} distinct; ${killed.length} holder kills (${killed.filter((k) => k.midFile).length} with a claim open); ${takeovers.length} takeovers logged`,
        );
      }
      expect(kills.length).toBeGreaterThan(0);
      expect(
        kills.some((k) => k.midFile),
        'no kill landed while a file was claimed',
      ).toBe(true);
      await store.close();
    },
    DEADLINE_MS + 120_000,
  );
});
