import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onTestFailed } from 'vitest';

const child = fileURLToPath(new URL('./lease-child.ts', import.meta.url));

/** One JSON line of a lease child (see lease-child.ts). */
export interface Fact {
  readonly ev: string;
  readonly name: string;
  readonly pid: number;
  readonly at: number;
  readonly [key: string]: unknown;
}

export interface LeaseProcessOptions {
  readonly store: string;
  readonly resource: string;
  readonly location: string;
  readonly ttlMs: number;
  readonly writeEveryMs?: number;
  readonly healthFile?: string;
}

/** A lease child process, with everything it printed, parsed. */
export class LeaseProcess {
  readonly facts: Fact[] = [];
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  holder: string | undefined;
  killedAt: number | undefined;
  private stderr = '';
  private waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    options: LeaseProcessOptions,
  ) {
    const args = [
      '--import',
      'tsx',
      child,
      '--store',
      options.store,
      '--resource',
      options.resource,
      '--location',
      options.location,
      '--name',
      name,
      '--ttl',
      String(options.ttlMs),
      '--write-every',
      String(options.writeEveryMs ?? 50),
      ...(options.healthFile ? ['--health-file', options.healthFile] : []),
    ];
    this.process = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let buffer = '';
    this.process.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const fact = JSON.parse(line) as Fact;
        if (fact.ev === 'ready') this.holder = fact.holder as string;
        this.facts.push(fact);
      }
      for (const wake of [...this.waiters]) wake();
    });
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const wake of [...this.waiters]) wake();
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Resolves with the first fact (from `from` on) matching `test`; rejects after `timeoutMs`. */
  waitFor(test: (fact: Fact) => boolean, timeoutMs: number, from = 0): Promise<Fact> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.facts.slice(from).find(test);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no matching fact within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      // A wait that lost a race must not keep the test process alive.
      timer.unref();
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) this.waiters.add(wake);
    });
  }

  /** The term this process holds as of its last state transition, if any. */
  holdingTerm(): number | undefined {
    const states = this.facts.filter((f) => f.ev === 'state');
    const last = states[states.length - 1];
    return last?.kind === 'holding' ? (last.term as number) : undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL') this.killedAt = Date.now();
    this.process.kill(signal);
  }

  send(command: string): void {
    this.process.stdin.write(`${command}\n`);
  }

  /** SIGTERM, and waits for a clean exit. */
  async stop(): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    return this.exited;
  }
}

/** Whether `pid` is stopped (state T in /proc). */
export function isStopped(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

/** When the current test fails, prints what every process said, to tell what happened. */
export function dumpOnFailure(processes: () => Iterable<LeaseProcess>): void {
  onTestFailed(() => {
    for (const p of processes()) {
      const lines = p.facts.map(({ name: _n, pid: _p, ...fact }) => JSON.stringify(fact));
      console.error(`--- ${p.name} (pid ${p.pid}, ${p.holder ?? '?'}):\n${lines.join('\n')}`);
    }
  });
}
