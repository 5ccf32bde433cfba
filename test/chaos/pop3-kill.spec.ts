import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { unfinishedClaims } from '../../src/domain/location/unfinished-claims.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite/index.js';
import { startDovecot, type DovecotTestServer } from '../support/dovecot.js';
import { tempDir } from '../support/temp-dir.js';

const MAILS = Number(process.env.SIGNALBOX_POP3_CHAOS_MAILS ?? 200);
const KILLS = Number(process.env.SIGNALBOX_POP3_CHAOS_KILLS ?? 10);
const DEADLINE_MS = 4 * 60_000;
const LOCATION = 'mail-chaos';
const PASSWORD = 'pop3-chaos-secret';
const child = fileURLToPath(new URL('./pop3-engine-child.ts', import.meta.url));

const dir = tempDir('pop3-kill');
let dovecot: DovecotTestServer | undefined;
const processes = new Map<string, { child: ChildProcess; stderr: string }>();
afterAll(async () => {
  for (const { child } of processes.values()) child.kill('SIGKILL');
  await dovecot?.dispose();
  dir.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line: string) => process.stderr.write(`[pop3-kill] ${line}\n`);

function startWorker(name: string, data: string, bindings: string): Promise<void> {
  const spawned = spawn(process.execPath, ['--import', 'tsx', child, data, bindings, name, PASSWORD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child: spawned, stderr: '' };
  processes.set(name, entry);
  spawned.stderr?.on('data', (chunk: Buffer) => (entry.stderr = (entry.stderr + chunk.toString()).slice(-4_000)));
  return new Promise((resolve, reject) => {
    spawned.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    spawned.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}):\n${entry.stderr}`)));
  });
}

async function read(store: SqliteEventStore, prefix: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of store.readAll({ filter: { streamPrefixes: [prefix] } })) out.push(event);
  return out;
}

/** The process holding the location's lease now: the pid is the middle of its instance id. */
async function holder(store: SqliteEventStore, afterTerm: number): Promise<{ pid: number; term: number } | undefined> {
  const changes = (await read(store, `leaselog-location-${LOCATION}`)).filter(
    (e) => e.type === 'LeaseAcquired' || e.type === 'LeaseTakenOver',
  );
  const last = changes.at(-1);
  if (!last) return undefined;
  const { holder: id, term } = last.data as { holder: string; term: number };
  return term > afterTerm ? { pid: Number(id.split('/')[1]), term } : undefined;
}

describe('POP3 receive under kill -9 (two worker processes, one mailbox, singleActive: always)', () => {
  it(
    `${MAILS} mails, the lease holder SIGKILLed ${KILLS} times while it works: each mail received exactly once, mailbox empty, every takeover recorded`,
    async () => {
      dovecot = await startDovecot({ password: PASSWORD, label: 'pop3-kill' });
      const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
      for (let i = 0; i < MAILS; i++) {
        const info = await composer.sendMail({
          from: 'producer@example.com',
          to: 'alice@example.com',
          subject: `chaos ${i}`,
          messageId: `<chaos-${i}@example.com>`,
          text: `mail ${i}\n`,
        });
        dovecot.deliver(info.message as Buffer);
      }
      const data = join(dir.path, 'data');
      const bindings = JSON.stringify({
        receiveLocations: [
          {
            name: LOCATION,
            receivePort: 'mail',
            adapter: 'pop3',
            config: {
              host: dovecot.host,
              port: dovecot.port,
              user: dovecot.user,
              password: { secret: 'pop3-password' },
              singleActive: 'always',
              // Small sessions: a kill undoes at most this many DELEs, so the run makes progress.
              maxMailsPerSession: 5,
              pollIntervalMs: 100,
              timeoutMs: 5_000,
            },
          },
        ],
      });
      // Opened first, so the schema exists before two processes race to create it.
      mkdirSync(data, { recursive: true });
      const store = new SqliteEventStore(join(data, 'signalbox.db'));
      await Promise.all(['w1', 'w2'].map((name) => startWorker(name, data, bindings)));

      const begun = Date.now();
      const received = async () => (await read(store, 'message-')).filter((e) => e.type === 'MessageReceived');
      const kills: { name: string; pid: number; term: number; receivedBefore: number }[] = [];
      const restarts: Promise<void>[] = [];
      let term = 0;
      while (kills.length < KILLS && Date.now() - begun < DEADLINE_MS) {
        let current: { pid: number; term: number } | undefined;
        while (!(current = await holder(store, term)) && Date.now() - begun < DEADLINE_MS) await sleep(50);
        if (!current) break;
        term = current.term;
        // Once the new holder has received a few mails (1 to 8), somewhere in its work: in a
        // session, between a DELE and the QUIT, writing a claim or a completion.
        const target = (await received()).length + 1 + Math.floor(Math.random() * 8);
        while ((await received()).length < Math.min(target, MAILS) && Date.now() - begun < DEADLINE_MS) {
          await sleep(10);
        }
        await sleep(Math.random() * 100);
        const count = (await received()).length;
        if (count >= MAILS && dovecot.count() === 0) break;
        // The lease may have moved meanwhile (a slow renewal on a loaded machine): kill whoever
        // holds it now, if that process is still alive; otherwise wait for the next holder.
        const now = (await holder(store, 0))!;
        term = now.term;
        const [name, entry] = [...processes.entries()].find(([, p]) => p.child.pid === now.pid) ?? [];
        if (!name || !entry) continue;
        entry.child.kill('SIGKILL');
        kills.push({ name, pid: now.pid, term, receivedBefore: count });
        progress(`kill ${kills.length}: ${name} (pid ${now.pid}, term ${term}) after ${count} receipts`);
        // Not awaited: the survivor takes over meanwhile, and is the next one to kill.
        restarts.push(startWorker(name, data, bindings));
      }
      await Promise.all(restarts);
      while (((await received()).length < MAILS || dovecot.count() > 0) && Date.now() - begun < DEADLINE_MS) {
        await sleep(200);
      }
      // The holder finishes its last session's completions; then the workers stop.
      await sleep(1_500);
      for (const { child } of processes.values()) child.kill('SIGKILL');

      const receipts = await received();
      const perMessageId = new Map<string, number>();
      for (const event of receipts) {
        if (event.type !== 'MessageReceived') continue;
        const id = String(event.data.context.promoted['POP3.MessageID']);
        perMessageId.set(id, (perMessageId.get(id) ?? 0) + 1);
      }
      const location = await store.readStream(`location-${LOCATION}`);
      const leaseLog = await read(store, `leaselog-location-${LOCATION}`);
      await store.close();
      const takeovers = leaseLog.filter((e) => e.type === 'LeaseTakenOver');
      const claims = location.filter((e) => e.type === 'MailClaimed').length;
      const retrieved = [...dovecot.log().matchAll(/retr=(\d+)\//g)].reduce((n, m) => n + Number(m[1]), 0);
      const summary = {
        mails: MAILS,
        kills: kills.length,
        takeovers: takeovers.length,
        received: receipts.length,
        distinctMessageIds: perMessageId.size,
        receivedTwice: [...perMessageId.values()].filter((n) => n > 1).length,
        claims,
        openClaims: unfinishedClaims(location).length,
        retrievedByServerLog: retrieved,
        // Mails retrieved more than once: sessions killed after a RETR, whose mails came back.
        retrievedAgain: retrieved - MAILS,
        left: dovecot.count(),
        seconds: Math.round((Date.now() - begun) / 1000),
      };
      progress(JSON.stringify(summary));

      expect(kills.length).toBe(KILLS);
      expect(dovecot.count()).toBe(0);
      expect(perMessageId.size).toBe(MAILS);
      expect(summary.receivedTwice).toBe(0);
      expect(receipts).toHaveLength(MAILS);
      expect(summary.openClaims).toBe(0);
      // Each kill of a holder shows as a takeover (a dead holder never releases its lease).
      expect(takeovers.length).toBeGreaterThanOrEqual(kills.length);
      for (const kill of kills) {
        expect(
          takeovers.some((t) => (t.data as { term: number }).term > kill.term),
          `a takeover after the kill at term ${kill.term}`,
        ).toBe(true);
      }
    },
    DEADLINE_MS + 60_000,
  );
});
