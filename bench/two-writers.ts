// Two processes appending through SqliteEventStore to one file, as two workers do: each reports
// p50/p99/max of its own appends. Scenarios: both flooding, and one steady while the other floods.
//   node --import tsx bench/two-writers.ts [seconds=10] [steadyRate=200] [concurrency=64]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// From the sources through tsx, or from the build as plain JavaScript.
const fromSource = import.meta.url.endsWith('.ts');
const child = fileURLToPath(new URL(`./support/append-process.${fromSource ? 'ts' : 'js'}`, import.meta.url));
const loader = fromSource ? ['--import', 'tsx'] : [];

/** What one append process prints when its time is up; latencies in ms. */
export interface AppendSummary {
  readonly mode: 'flood' | 'steady';
  readonly appends: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly over500msCount: number;
  readonly over2sCount: number;
}

/** Runs one append process per role against `file`, started together, and returns their summaries. */
export async function runPair(
  file: string,
  seconds: number,
  roles: readonly (readonly [mode: 'flood' | 'steady', param: number])[],
): Promise<AppendSummary[]> {
  const children = roles.map(([mode, param]) =>
    spawn(process.execPath, [...loader, child, file, mode, String(seconds), String(param)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map((c) => {
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      c.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
      c.once('exit', (code) => reject(new Error(`append process exited ${code} before it was ready`)));
    });
    const done = new Promise<string>((resolve, reject) =>
      c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`append process exited ${code}`)))),
    );
    done.catch(() => undefined); // awaited below; marked handled in case `ready` fails first
    return { ready, done };
  });
  await Promise.all(lines.map((l) => l.ready));
  for (const c of children) c.stdin.end('go\n');
  const outputs = await Promise.all(lines.map((l) => l.done));
  return outputs.map((o) => JSON.parse(o.trim().split('\n').pop()!) as AppendSummary);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = Number(process.argv[2] ?? 10);
  const rate = Number(process.argv[3] ?? 200);
  const concurrency = Number(process.argv[4] ?? 64);
  const dir = mkdtempSync(join(tmpdir(), 'sbox-two-writers-'));
  try {
    for (const [name, roles] of [
      [
        'both flood',
        [
          ['flood', concurrency],
          ['flood', concurrency],
        ],
      ],
      [
        'steady vs flood',
        [
          ['steady', rate],
          ['flood', concurrency],
        ],
      ],
    ] as const) {
      const load = loadavg()[0]!.toFixed(2);
      const results = await runPair(join(dir, `${name.replaceAll(' ', '-')}.db`), seconds, roles);
      process.stdout.write(`${JSON.stringify({ scenario: name, load, results })}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
