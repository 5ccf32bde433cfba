import type { Clock } from './clock.js';

/**
 * Something a handler needs in order to do its work: its queue manager, FTP server, mailbox. A
 * worker bids for the lease only while every dependency is healthy, and a holder whose dependency
 * fails lets the lease go, so that failover moves the work to a node that can actually do it.
 */
export interface Dependency {
  readonly name: string;
  /** Resolves (to anything but `false`) when healthy; resolving `false` or rejecting means not. */
  check(signal: AbortSignal): Promise<unknown>;
  /** A check that has not answered by then counts as failed. Default 1,000 ms. */
  readonly timeoutMs?: number;
}

export interface HealthReport {
  readonly healthy: boolean;
  /** The dependencies whose last check failed, by name. */
  readonly failing: readonly string[];
}

const DEFAULT_CHECK_TIMEOUT_MS = 1000;

async function checkOne(dependency: Dependency, clock: Clock): Promise<boolean> {
  const controller = new AbortController();
  let cancel = () => undefined as void;
  const timedOut = new Promise<false>((resolve) => {
    cancel = clock.schedule(dependency.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, () => {
      controller.abort(new Error(`health check ${dependency.name} timed out`));
      resolve(false);
    });
  });
  const checked = Promise.resolve()
    .then(() => dependency.check(controller.signal))
    .then(
      (result) => result !== false,
      () => false,
    );
  try {
    return await Promise.race([checked, timedOut]);
  } finally {
    cancel();
  }
}

/** Runs every check in parallel. */
export async function checkDependencies(dependencies: readonly Dependency[], clock: Clock): Promise<HealthReport> {
  const results = await Promise.all(dependencies.map((d) => checkOne(d, clock)));
  const failing = dependencies.filter((_, i) => !results[i]).map((d) => d.name);
  return { healthy: failing.length === 0, failing };
}

/**
 * Checks the dependencies every `everyMs` and keeps the latest report. Until the first round of
 * checks has answered, the report is unhealthy: a worker that has not seen its dependencies work
 * does not bid.
 */
export class DependencyMonitor {
  private report: HealthReport;
  private listeners = new Set<(report: HealthReport) => void>();
  private cancel: () => void = () => undefined;
  private running = false;

  constructor(
    private readonly dependencies: readonly Dependency[],
    private readonly everyMs: number,
    private readonly clock: Clock,
  ) {
    this.report =
      dependencies.length === 0
        ? { healthy: true, failing: [] }
        : { healthy: false, failing: dependencies.map((d) => d.name) };
  }

  get current(): HealthReport {
    return this.report;
  }

  start(): void {
    if (this.running || this.dependencies.length === 0) return;
    this.running = true;
    void this.round();
  }

  stop(): void {
    this.running = false;
    this.cancel();
  }

  /** Resolves with the first report that is unhealthy (the current one included), or at abort. */
  whenUnhealthy(signal: AbortSignal): Promise<HealthReport | undefined> {
    if (!this.report.healthy) return Promise.resolve(this.report);
    return new Promise((resolve) => {
      const done = (report: HealthReport | undefined) => {
        this.listeners.delete(listener);
        signal.removeEventListener('abort', aborted);
        resolve(report);
      };
      const listener = (report: HealthReport) => {
        if (!report.healthy) done(report);
      };
      const aborted = () => done(undefined);
      if (signal.aborted) return done(undefined);
      this.listeners.add(listener);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }

  private async round(): Promise<void> {
    const report = await checkDependencies(this.dependencies, this.clock);
    if (!this.running) return;
    this.report = report;
    for (const listener of [...this.listeners]) listener(report);
    this.cancel = this.clock.schedule(this.everyMs, () => void this.round());
  }
}
