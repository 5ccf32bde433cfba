import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fromSource = import.meta.url.endsWith('.ts');
/** The project folder, from `bench/support/` in the sources or `dist/bench/support/` in the build. */
export const projectRoot = fileURLToPath(new URL(fromSource ? '../..' : '../../..', import.meta.url));

/** The built CLI, as an operator runs it (`npm run build` first). */
export const builtCli: readonly string[] = [join(projectRoot, 'bin', 'signalbox.js')];

/** The CLI from the same code as this module: the build when it runs built, the sources through tsx when not. */
export function cliLikeThisModule(): readonly string[] {
  return fromSource ? ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts')] : builtCli;
}

export interface WorkerSettings {
  readonly config: string;
  readonly data: string;
  readonly nats: string;
  /** How to start the CLI: node arguments before `worker`. Default: the built CLI. */
  readonly cli?: readonly string[];
  /** Node flags such as `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** More `worker` options, such as `--concurrency`. */
  readonly extraArgs?: readonly string[];
  /** `info` by default: the start line is how the caller knows the instance is up. */
  readonly logLevel?: string;
  /** Where the whole of its stderr goes, besides the tail kept in memory. */
  readonly logFile?: string;
}

export interface WorkerExit {
  readonly name: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether the caller asked for it (SIGKILL or SIGTERM); anything else is a crash. */
  readonly expected: boolean;
  readonly stderrTail: string;
}

/**
 * One `signalbox worker` process. Its stderr (pino JSON lines) is kept as a tail;
 * `started` resolves on the "host instance started" line.
 */
export class CliWorker {
  readonly started: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private stderr = '';
  private asked = false;

  constructor(
    readonly name: string,
    settings: WorkerSettings,
  ) {
    this.child = spawn(
      process.execPath,
      [
        ...(settings.nodeArgs ?? []),
        ...(settings.cli ?? builtCli),
        'worker',
        '--config',
        settings.config,
        '--data',
        settings.data,
        '--name',
        name,
        '--nats',
        settings.nats,
        ...(settings.extraArgs ?? []),
      ],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, SIGNALBOX_LOG_LEVEL: settings.logLevel ?? 'info' },
      },
    );
    if (settings.logFile) this.child.stderr!.pipe(createWriteStream(settings.logFile));
    let markStarted: () => void = () => undefined;
    this.started = new Promise((resolve) => (markStarted = resolve));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('"host instance started"')) markStarted();
      this.stderr = (this.stderr + text).slice(-16_000);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) =>
        resolve({
          name,
          pid: this.child.pid ?? -1,
          code,
          signal,
          expected: this.asked,
          stderrTail: this.stderr.slice(-4_000),
        }),
      ),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The end of what the worker wrote to stderr, for a report of what went wrong. */
  stderrTail(chars = 1_000): string {
    return this.stderr.slice(-chars);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once started; rejects if the process exits first or `timeoutMs` passes. */
  async ready(timeoutMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.started,
        this.exited.then((exit) => {
          throw new Error(
            `worker ${this.name} exited (${exit.code ?? exit.signal}) before starting:\n${exit.stderrTail}`,
          );
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`worker ${this.name} did not start within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill9(): Promise<WorkerExit> {
    this.asked = true;
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM; SIGKILL after `graceMs`. Says whether the worker stopped by itself. */
  async stop(graceMs = 10_000): Promise<{ exit: WorkerExit; clean: boolean }> {
    this.asked = true;
    if (!this.running) return { exit: await this.exited, clean: true };
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { exit, clean: exit.signal !== 'SIGKILL' };
  }
}
