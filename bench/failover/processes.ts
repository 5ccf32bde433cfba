import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A JSON line a bench worker printed (see worker.ts). */
export interface Fact {
  readonly ev: string;
  readonly pid: number;
  readonly at: number;
  readonly [key: string]: unknown;
}

/**
 * The worker runs the same code as this module: the compiled `.js` from `dist/` after
 * `npm run build`, or the `.ts` source through tsx when the bench itself runs from source.
 */
function workerArgs(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url));
  return fromSource ? ['--import', 'tsx', script] : [script];
}

export class WorkerProcess {
  readonly facts: Fact[] = [];
  readonly exited: Promise<void>;
  holder: string | undefined;
  private readonly child: ChildProcess;
  private waiters = new Set<() => void>();
  private stderr = '';

  constructor(options: { store: string; resource: string; location: string; ttlMs?: number }) {
    this.child = spawn(
      process.execPath,
      [
        ...workerArgs(),
        '--store',
        options.store,
        '--resource',
        options.resource,
        '--location',
        options.location,
        ...(options.ttlMs ? ['--ttl', String(options.ttlMs)] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
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
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first fact from index `from` on that matches; rejects after `timeoutMs` or at abort. */
  waitFor(
    test: (fact: Fact) => boolean,
    timeoutMs: number,
    options: { from?: number; signal?: AbortSignal } = {},
  ): Promise<Fact> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(check);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', aborted);
      };
      const check = () => {
        const found = this.facts.slice(options.from ?? 0).find(test);
        if (!found) return;
        done();
        resolve(found);
      };
      const aborted = () => {
        done();
        reject(new Error('no longer waited for'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${this.pid}: nothing matching within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      options.signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    await this.exited;
  }
}

/** One process per core spinning at 100% CPU. */
export function saturateCpus(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
