import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress, report } from './report.js';
import { giveToFtpUser, startPureFtpd, startSshd, stopProcess } from './transfer/servers.js';

export interface TransferBenchOptions {
  readonly json: boolean;
  /** Size of the one file; default 1 GiB. */
  readonly bytes?: number;
  /** Where the servers' folders, the engine's data and the copies go; default the system temp folder. */
  readonly dir?: string;
}

const GOAL_PEAK_RSS_MB = 128;
const MiB = 1024 * 1024;
const fromSource = import.meta.url.endsWith('.ts');
const script = (name: string) =>
  fileURLToPath(new URL(`./transfer/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
const nodeArgs = fromSource ? ['--import', 'tsx'] : [];

/** `1GB`, `4GB`, `512MB`, `100KB` or a byte count; units are binary (1 GB = 1024³ bytes). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a size such as 1GB or 512MB`);
  const unit = { B: 1, KB: 1024, MB: MiB, GB: 1024 * MiB }[(match[2] ?? 'B').toUpperCase() as 'B'];
  return Math.round(Number(match[1]) * unit);
}

/** Peak resident set of a live process, from the kernel (`VmHWM`), in MiB. */
function peakRssMb(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmHWM for process ${pid}`);
  return Number(line[1]) / 1024;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `bytes` of random data to `path` in 1 MiB chunks; returns its SHA-256. */
async function makeFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    for (let left = bytes; left > 0;) {
      const chunk = randomBytes(Math.min(MiB, left));
      hash.update(chunk);
      await file.write(chunk);
      left -= chunk.length;
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

function startChild(args: string[], env: Record<string, string> = {}): { child: ChildProcess; lines: Promise<string> } {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
  const lines = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) =>
      out.includes('\n') ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
  return { child, lines };
}

/**
 * `signalbox bench transfer`: one file of `bytes` received over FTP (pure-ftpd) and sent over
 * SFTP (OpenSSH) by an engine in its own process, end to end through the blob store. Measures
 * the engine's peak RSS (`VmHWM`), the throughput from the file's arrival in the FTP folder to its
 * arrival (renamed into place) on the SFTP server, checks the SHA-256, and compares with a plain
 * 64 KiB stream copy of the same bytes measured in the same run.
 */
export async function benchTransfer(options: TransferBenchOptions): Promise<void> {
  const bytes = options.bytes ?? 1024 * MiB;
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'signalbox-bench-transfer-'));
  // The source, the blob, the SFTP copy and the baseline copy: four times the file, and some room.
  const fs = statfsSync(root);
  const free = fs.bavail * fs.bsize;
  const needed = 4 * bytes + 512 * MiB;
  if (free < needed) {
    rmSync(root, { recursive: true, force: true });
    const reason = `needs ${Math.ceil(needed / MiB)} MiB free in ${options.dir ?? tmpdir()}, has ${Math.floor(free / MiB)} MiB`;
    progress(`bench transfer skipped: ${reason}`);
    report('transfer', { bytes, skipped: true, reason }, options.json);
    return;
  }
  const ftpd = await startPureFtpd({ label: 'bench-ftpd' });
  const sshd = await startSshd('bench-sshd');
  let engine: ChildProcess | undefined;
  try {
    const inbox = join(ftpd.home, 'in');
    mkdirSync(inbox);
    giveToFtpUser(inbox);
    mkdirSync(join(sshd.root, 'out'));
    const bindings = {
      receiveLocations: [
        {
          name: 'bench-in',
          receivePort: 'bench',
          adapter: 'ftp',
          config: {
            host: '127.0.0.1',
            port: ftpd.port,
            username: ftpd.user,
            password: { secret: 'bench-ftp' },
            folder: '/in',
            pollIntervalMs: 200,
          },
        },
      ],
      sendPorts: [
        {
          name: 'bench-out',
          adapter: 'sftp',
          filter: "BTS.ReceivePortName == 'bench'",
          config: {
            host: '127.0.0.1',
            port: sshd.port,
            username: sshd.user,
            privateKey: { secret: 'bench-ssh' },
            hostKeySha256: sshd.hostKeySha256,
            folder: 'out',
            fileName: '%SourceFileName%',
          },
        },
      ],
    };
    progress(`bench transfer: writing ${Math.round(bytes / MiB)} MiB of random data`);
    const aside = join(inbox, '.big.part');
    const sourceSha = await makeFile(aside, bytes);

    const started = startChild([script('engine-child'), join(root, 'data'), JSON.stringify(bindings)], {
      SIGNALBOX_BENCH_SECRETS: JSON.stringify({ 'bench-ftp': ftpd.password, 'bench-ssh': sshd.privateKey }),
    });
    engine = started.child;
    await started.lines;
    const pid = engine.pid!;
    const idleRss = peakRssMb(pid);

    const target = join(sshd.root, 'out', 'big.bin');
    const t0 = process.hrtime.bigint();
    await rename(aside, join(inbox, 'big.bin'));
    const deadline = Date.now() + Math.max(300_000, (bytes / MiB) * 1_000);
    while (!existsSync(target)) {
      if (Date.now() > deadline) throw new Error('the file did not arrive on the SFTP server in time');
      if (engine.exitCode !== null) throw new Error(`the engine exited (${engine.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peak = peakRssMb(pid);
    await stopProcess(engine);
    engine = undefined;
    const sha256Match = (await sha256Of(target)) === sourceSha;

    progress('bench transfer: baseline 64 KiB stream copy');
    const copy = startChild([script('copy-child'), target, join(root, 'copy.bin')]);
    const [line] = await Promise.all([copy.lines, once(copy.child, 'exit')]);
    const baseline = JSON.parse(line.split('\n')[0]!) as { seconds: number; maxRssKb: number };
    const baselineRss = baseline.maxRssKb / 1024;
    const mbPerSec = bytes / MiB / seconds;
    const baselineMbPerSec = bytes / MiB / baseline.seconds;
    const round = (n: number) => Math.round(n * 10) / 10;
    report(
      'transfer',
      {
        bytes,
        peakRssMb: round(peak),
        mbPerSec: round(mbPerSec),
        sha256Match,
        seconds: round(seconds),
        engineIdleRssMb: round(idleRss),
        baselinePeakRssMb: round(baselineRss),
        baselineMbPerSec: round(baselineMbPerSec),
        rssRatio: Math.round((peak / baselineRss) * 100) / 100,
        speedRatio: Math.round((mbPerSec / baselineMbPerSec) * 1000) / 1000,
        goalPeakRssMb: GOAL_PEAK_RSS_MB,
        withinGoal: peak <= GOAL_PEAK_RSS_MB,
      },
      options.json,
    );
  } finally {
    if (engine) await stopProcess(engine);
    await ftpd.stop();
    await sshd.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
